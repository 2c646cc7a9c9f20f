"""Admin for retailers: scoped like every other path, masked, and writing only through the services."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.compliance.models import CreditRule, Violation
from accounts.imports.models import ImportJob, ImportRowError
from accounts.models import ConsentEvent, Retailer, RetailerEvent, RetailerExport, SensitiveAccess
from accounts.selectors import retailer_scope
from accounts.sensitive import sensitive_access_log_many, sensitive_may_reveal
from accounts.services import (
    CREATE_FIELDS,
    EDITABLE_FIELDS,
    LOCKED_FIELDS,
    retailer_create,
    retailer_update,
    retailers_status_set,
)
from core.admin import ModelAdmin, ReadOnlyAdmin
from core.masking import PERSONAL_FIELDS, mask_mobile


@admin.register(Retailer)
class RetailerAdmin(ModelAdmin):
    list_display = (
        "shop_name",
        "licence_no",
        "owner_name",
        "masked_mobile",
        "class_code",
        "tier",
        "credit_grade",
        "status",
        "licence_expires_on",
        "route",
    )
    list_filter = (
        "status",
        "licence_status",
        "market_type",
        "business_format",
        "scale",
        "credit_grade",
        "sms_consent",
    )
    search_fields = ("shop_name", "owner_name", "licence_no", "customer_code", "=mobile")
    list_select_related = ("route",)
    show_full_result_count = False
    readonly_fields = (
        "class_code",
        "sms_consent",
        "sms_consent_at",
        "sms_consent_source",
        "email_consent",
        "email_consent_at",
        "email_consent_source",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("route", "org_unit")
    actions = ("mark_active", "mark_suspended", "mark_closed")

    def get_queryset(self, request):
        return retailer_scope(user=request.user)

    def get_search_results(self, request, queryset, search_term):
        # The trigram-indexed column answers substring searches; the admin's default ORs many ILIKEs.
        if not search_term:
            return queryset, False
        return queryset.filter(search_text__contains=search_term.strip()), False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The change form shows full values: opening it is an unmasking, logged (via admin).
        if request.method == "GET":
            retailer = self.get_queryset(request).filter(pk=object_id).first()
            if retailer is not None:
                shown = [f for f in self._revealed(request) if getattr(retailer, f)]
                sensitive_access_log_many(
                    user=request.user,
                    retailer_ids=[retailer.pk],
                    fields=shown,
                    via=SensitiveAccess.Via.ADMIN,
                    ip_address=request.META.get("REMOTE_ADDR"),
                )
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # The tier and the credit grade change only through their engines (LOCKED_FIELDS); a new retailer may be
        # given its starting tier.
        locked = tuple(name for name in LOCKED_FIELDS if obj is not None or name not in CREATE_FIELDS)
        return (*self.readonly_fields, *locked)

    @staticmethod
    def _revealed(request) -> list[str]:
        """The personal fields the change form carries in full: those this user may reveal (core.masking)."""
        return [f for f in PERSONAL_FIELDS if sensitive_may_reveal(user=request.user, field=f)]

    def get_exclude(self, request, obj=None):
        return tuple(f for f in PERSONAL_FIELDS if f not in self._revealed(request))

    @admin.display(description=_("手机号"))
    def masked_mobile(self, obj):
        return mask_mobile(obj.mobile)

    def save_model(self, request, obj, form, change):
        writable = EDITABLE_FIELDS if change else CREATE_FIELDS
        data = {name: form.cleaned_data[name] for name in form.cleaned_data if name in writable}
        try:
            if change:
                saved = retailer_update(actor=request.user, retailer=obj, data=data)
            else:
                saved = retailer_create(actor=request.user, data=data)
        except ValidationError as exc:
            # Errors reach the admin before save through the form (see get_form); this is a last guard.
            raise ValueError("; ".join(exc.messages)) from exc
        obj.pk = saved.pk

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        actor = request.user

        class ValidatedForm(form_class):
            def _post_clean(self):
                super()._post_clean()
                from accounts.services import retailer_starting_tier_validate, retailer_validate

                candidate = self.instance
                checks = [lambda: retailer_validate(retailer=candidate, actor=actor)]
                if obj is None:
                    checks.append(lambda: retailer_starting_tier_validate(tier=candidate.tier, actor=actor))
                for check in checks:
                    try:
                        check()
                    except ValidationError as exc:
                        for field, errors in exc.message_dict.items():
                            self.add_error(field if field in self.fields else None, errors)

        return ValidatedForm

    def _set_status(self, request, queryset, status):
        count = retailers_status_set(
            actor=request.user, retailer_ids=queryset.values_list("pk", flat=True), status=status
        )
        self.message_user(request, _("已更新 %(n)d 家客户的状态。") % {"n": count}, messages.SUCCESS)

    @admin.action(description=_("设为正常"), permissions=["change"])
    def mark_active(self, request, queryset):
        self._set_status(request, queryset, Retailer.Status.ACTIVE)

    @admin.action(description=_("设为暂停"), permissions=["change"])
    def mark_suspended(self, request, queryset):
        self._set_status(request, queryset, Retailer.Status.SUSPENDED)

    @admin.action(description=_("设为注销"), permissions=["change"])
    def mark_closed(self, request, queryset):
        self._set_status(request, queryset, Retailer.Status.CLOSED)


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyAdmin):
    list_display = ("retailer", "channel", "granted", "source", "recorded_by", "created_at")
    list_filter = ("channel", "granted")
    search_fields = ("retailer__shop_name", "retailer__licence_no", "source")
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(retailer__in=retailer_scope(user=request.user))
            .select_related("retailer", "recorded_by")
        )


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "retailer", "field", "via", "ip_address")
    list_filter = ("field", "via")
    search_fields = ("user__username", "retailer__shop_name", "retailer__licence_no")
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(retailer__in=retailer_scope(user=request.user))
            .select_related("user", "retailer")
        )


@admin.register(RetailerExport)
class RetailerExportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "row_count", "unmasked", "filters")
    list_filter = ("unmasked",)
    search_fields = ("user__username",)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("user")
        return qs if request.user.is_company_admin else qs.filter(user=request.user)


@admin.register(RetailerEvent)
class RetailerEventAdmin(ReadOnlyAdmin):
    """The change history written by database triggers (so bulk updates appear too)."""

    list_display = (
        "pgh_created_at",
        "pgh_label",
        "shop_name",
        "licence_no",
        "tier",
        "credit_grade",
        "status",
    )
    list_filter = ("pgh_label",)
    search_fields = ("licence_no", "shop_name")
    show_full_result_count = False
    exclude = PERSONAL_FIELDS  # past numbers left out: a full value is revealed one at a time, logged

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pgh_obj__in=retailer_scope(user=request.user))


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "original_name",
        "status",
        "total_rows",
        "valid_rows",
        "invalid_rows",
        "created_count",
        "updated_count",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "status", "mode")
    search_fields = ("original_name", "created_by__username", "sha256")
    show_full_result_count = False

    def get_queryset(self, request):
        from accounts.imports.selectors import import_jobs_visible

        return import_jobs_visible(user=request.user)


@admin.register(ImportRowError)
class ImportRowErrorAdmin(ReadOnlyAdmin):
    list_display = ("job", "row_no", "column", "value", "message")
    search_fields = ("message", "value")
    show_full_result_count = False

    def get_queryset(self, request):
        from accounts.imports.selectors import import_jobs_visible

        return super().get_queryset(request).filter(job__in=import_jobs_visible(user=request.user))


@admin.register(Violation)
class ViolationAdmin(ReadOnlyAdmin):
    """Violations are recorded on the violation page and voided there (kept, audited); the admin reads them."""

    list_display = ("retailer", "occurred_on", "type", "penalty", "source", "recorded_by", "voided_at")
    list_filter = ("type", "penalty", "source", ("voided_at", admin.EmptyFieldListFilter), "occurred_on")
    search_fields = ("=retailer__licence_no", "=retailer__customer_code", "retailer__shop_name", "notes")
    date_hierarchy = "occurred_on"
    show_full_result_count = False
    list_select_related = ("retailer", "recorded_by")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))


@admin.register(CreditRule)
class CreditRuleAdmin(ModelAdmin):
    """The rule is configuration: edited here, documented on the model and on the credit-rule page."""

    list_display = (
        "name",
        "is_active",
        "window_months",
        "a_max_points",
        "b_max_points",
        "c_max_points",
        "updated_at",
    )
    list_filter = ("is_active",)
    search_fields = ("name",)
    actions = ["recompute_now"]

    @admin.action(description=_("按启用的规则立即重评全部客户"))
    def recompute_now(self, request, queryset):
        from accounts.compliance.services import credit_grades_recompute

        changed = credit_grades_recompute()
        self.message_user(request, _("已重评，%(n)s 户等级变化。") % {"n": len(changed)}, messages.SUCCESS)


@admin.register(Violation.events.rel.related_model)
class ViolationEventAdmin(ReadOnlyAdmin):
    """Every insert and change of a violation (voiding included), written by database triggers."""

    list_display = ("pgh_created_at", "pgh_label", "pgh_obj", "type", "penalty", "voided_at", "void_reason")
    list_filter = ("pgh_label", "type")
    # "=pgh_obj_id" made the admin ask for pgh_obj_id__iexact, which a foreign key does not have (a 500 on any
    # search): a number finds the violation by id (get_search_results), words search its shop and the reason.
    search_fields = ("=pgh_obj__retailer__licence_no", "pgh_obj__retailer__shop_name", "void_reason")
    list_select_related = ("pgh_obj",)
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term.isdigit() and len(term) <= 18:
            results |= queryset.filter(pgh_obj_id=int(term))
        return results, may_have_duplicates
