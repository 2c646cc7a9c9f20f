"""Admin for every field-work model. The policy, programmes and targets are edited here; plans and visits are
written by services (the nightly job and the phone) and are read-only, scoped to the user's territory."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin, ReadOnlyAdmin
from core.errors import ConflictError
from users.models import OrgUnit
from visits.cultivation.selectors import programme_list
from visits.cultivation.services import programme_targets_by_rule
from visits.models import (
    CoverageExport,
    CultivationProgramme,
    CultivationTarget,
    StoreScoreItem,
    Visit,
    VisitPhoto,
    VisitPlan,
    VisitPolicy,
    VisitStockCheck,
)
from visits.trust.services import visit_review


def _retailer_scope(request):
    return retailer_scope(user=request.user).values("id")


def _unit_scope(request):
    units = OrgUnit.objects.all()
    if request.user.is_company_admin:
        return units
    user = request.user
    return units.filter(path__startswith=user.org_unit.path) if user.org_unit_id else units.none()


def _own_programmes(request):
    """The programmes a user may edit: those of their own unit and below (admin: all)."""
    return CultivationProgramme.objects.filter(org_unit__in=_unit_scope(request))


@admin.register(VisitPolicy)
class VisitPolicyAdmin(ModelAdmin):
    list_display = (
        "__str__",
        "weekly_min_tier",
        "fortnightly_min_tier",
        "high_value_weekly",
        "checkin_radius_m",
        "not_visited_days",
        "licence_warning_days",
        "coverage_trusted_only",
        "store_score_threshold",
        "updated_at",
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not VisitPolicy.objects.exists()


@admin.register(VisitPlan)
class VisitPlanAdmin(ReadOnlyAdmin):
    list_display = ("planned_on", "retailer", "manager", "route", "frequency")
    list_filter = ("frequency", "planned_on", "route")
    search_fields = (
        "retailer__shop_name",
        "retailer__customer_code",
        "manager__username",
        "manager__display_name",
    )
    list_select_related = ("retailer", "manager", "route")
    date_hierarchy = "planned_on"
    raw_id_fields = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))


@admin.display(description=_("照片"))
def photo_link(photo: VisitPhoto):
    """Media is never served publicly: the link is the visit's own photo view, which checks the retailer's scope."""
    return format_html('<a href="{}">{}</a>', photo.get_absolute_url(), photo.image.name.rsplit("/", 1)[-1])


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    fields = (photo_link, "size_bytes", "taken_at", "exif_latitude", "exif_longitude", "content_hash")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VisitStockCheckInline(admin.TabularInline):
    model = VisitStockCheck
    extra = 0
    can_delete = False
    readonly_fields = ("programme", "in_stock")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = (
        "visited_on",
        "retailer",
        "manager",
        "location_flag",
        "distance_m",
        "image_rating",
        "store_score",
        "trust",
        "complaint_ref",
    )
    list_filter = (
        "trust",
        "location_flag",
        "visited_on",
        "licence_displayed",
        "minors_sign",
        "price_tags",
        "image_rating",
    )
    search_fields = ("retailer__shop_name", "retailer__customer_code", "manager__username", "notes")
    list_select_related = ("retailer", "manager")
    date_hierarchy = "visited_on"
    inlines = [VisitStockCheckInline, VisitPhotoInline]
    actions = ["accept_visits", "reject_visits"]
    readonly_fields = ("reasons_in_words",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))

    @admin.display(description=_("存疑原因"))
    def reasons_in_words(self, obj: Visit) -> str:
        return "；".join(obj.trust_reason_texts) or "—"

    def has_review_permission(self, request):
        return request.user.has_perm("visits.review_visit")

    def _decide(self, request, queryset, *, accept: bool, reason: str = "") -> None:
        done, refused = 0, []
        for visit in queryset.select_related("retailer"):
            try:
                visit_review(actor=request.user, visit=visit, accept=accept, reason=reason)
            except (ValidationError, ConflictError) as exc:
                refused.append(f"{visit}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
            else:
                done += 1
        if done:
            self.message_user(request, _("已审核 %(n)s 条走访。") % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(description=_("认可所选存疑走访"), permissions=["review"])
    def accept_visits(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description=_("驳回所选存疑走访…"), permissions=["review"])
    def reject_visits(self, request, queryset):
        """Asks for the reason on an intermediate page, then rejects each selected visit with it."""
        reason = (request.POST.get("reason") or "").strip()
        if request.POST.get("confirm") and reason:
            self._decide(request, queryset, accept=False, reason=reason)
            return None
        return TemplateResponse(
            request,
            "admin/visits/visit/reject.html",
            {
                **self.admin_site.each_context(request),
                "title": _("驳回存疑走访"),
                "visits": queryset.select_related("retailer", "manager"),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                "opts": self.model._meta,
                "missing_reason": bool(request.POST.get("confirm")),
            },
        )


@admin.register(StoreScoreItem)
class StoreScoreItemAdmin(ModelAdmin):
    """The weights of the store score (终端形象分); items without a row use the defaults in visits.scoring."""

    list_display = ("item", "weight", "updated_at")
    list_editable = ("weight",)


class CultivationTargetInline(admin.TabularInline):
    model = CultivationTarget
    extra = 0
    raw_id_fields = ("retailer",)
    readonly_fields = ("source", "added_at")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "retailer":
            kwargs["queryset"] = retailer_scope(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CultivationProgramme)
class CultivationProgrammeAdmin(ModelAdmin):
    list_display = (
        "name",
        "product",
        "org_unit",
        "starts_on",
        "ends_on",
        "goal_selling_retailers",
        "goal_sell_through_pct",
    )
    list_filter = ("org_unit", "starts_on")
    search_fields = ("name", "product__name", "product__brand", "product__code")
    list_select_related = ("product", "org_unit")
    raw_id_fields = ("product",)
    readonly_fields = ("created_by", "created_at")
    actions = ["targets_by_rule"]

    def get_queryset(self, request):
        # what the pages show: the user's unit, the units above it and below it
        return programme_list(user=request.user)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj in _own_programmes(request))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj in _own_programmes(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org_unit":
            kwargs["queryset"] = _unit_scope(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("按规则选取目标客户（同价类在销、本品规未进货）"))
    def targets_by_rule(self, request, queryset):
        # a programme of a unit above the user's reaches other counties' shops: only the user's own subtree
        for programme in queryset.filter(pk__in=_own_programmes(request).values("pk")).select_related(
            "product", "org_unit"
        ):
            try:
                added = programme_targets_by_rule(programme=programme, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{programme}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(p)s：新增 %(n)s 户目标客户。") % {"p": programme, "n": added})


@admin.register(CultivationTarget)
class CultivationTargetAdmin(ModelAdmin):
    list_display = ("programme", "retailer", "source", "added_at")
    list_filter = ("source", "programme")
    search_fields = ("retailer__shop_name", "retailer__customer_code", "programme__name")
    list_select_related = ("programme", "retailer")
    raw_id_fields = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailer_scope(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # the raw id box accepts any number: the choices (and so the validation) are the user's own
        if db_field.name == "retailer":
            kwargs["queryset"] = retailer_scope(user=request.user)
        elif db_field.name == "programme":
            kwargs["queryset"] = _own_programmes(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(VisitStockCheck)
class VisitStockCheckAdmin(ReadOnlyAdmin):
    list_display = ("visit", "programme", "in_stock")
    list_filter = ("in_stock", "programme")
    search_fields = ("visit__retailer__shop_name",)
    list_select_related = ("visit", "programme")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visit__retailer__in=_retailer_scope(request))


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ("visit", photo_link, "size_bytes")
    fields = ("visit", photo_link, "size_bytes")
    readonly_fields = fields
    search_fields = ("visit__retailer__shop_name",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visit__retailer__in=_retailer_scope(request))


@admin.register(CoverageExport)
class CoverageExportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "row_count", "filters")
    list_filter = ("created_at",)
    search_fields = ("user__username", "user__display_name")
