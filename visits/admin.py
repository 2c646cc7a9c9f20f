"""Admin for every field-work model. The policy, programmes and targets are edited here; plans and visits are
written by services (the nightly job and the phone) and are read-only, scoped to the user's territory."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from visits import services
from visits.models import (
    CoverageExport,
    CultivationProgramme,
    CultivationTarget,
    Visit,
    VisitPhoto,
    VisitPlan,
    VisitPolicy,
    VisitStockCheck,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _scope(request):
    return retailer_scope(user=request.user).values("id")


@admin.register(VisitPolicy)
class VisitPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "weekly_min_tier",
        "fortnightly_min_tier",
        "high_value_weekly",
        "checkin_radius_m",
        "not_visited_days",
        "licence_warning_days",
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
        return super().get_queryset(request).filter(retailer__in=_scope(request))


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    readonly_fields = ("image", "size_bytes")

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
        "complaint_ref",
    )
    list_filter = (
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

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_scope(request))


class CultivationTargetInline(admin.TabularInline):
    model = CultivationTarget
    extra = 0
    raw_id_fields = ("retailer",)
    readonly_fields = ("source", "added_at")


@admin.register(CultivationProgramme)
class CultivationProgrammeAdmin(admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description=_("按规则选取目标客户（同价类在销、本品规未进货）"))
    def targets_by_rule(self, request, queryset):
        for programme in queryset.select_related("product", "org_unit"):
            try:
                added = services.programme_targets_by_rule(programme=programme)
            except ValidationError as exc:
                self.message_user(request, f"{programme}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, _("%(p)s：新增 %(n)s 户目标客户。") % {"p": programme, "n": added})


@admin.register(CultivationTarget)
class CultivationTargetAdmin(admin.ModelAdmin):
    list_display = ("programme", "retailer", "source", "added_at")
    list_filter = ("source", "programme")
    search_fields = ("retailer__shop_name", "retailer__customer_code", "programme__name")
    list_select_related = ("programme", "retailer")
    raw_id_fields = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_scope(request))


@admin.register(VisitStockCheck)
class VisitStockCheckAdmin(ReadOnlyAdmin):
    list_display = ("visit", "programme", "in_stock")
    list_filter = ("in_stock", "programme")
    search_fields = ("visit__retailer__shop_name",)
    list_select_related = ("visit", "programme")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visit__retailer__in=_scope(request))


@admin.register(VisitPhoto)
class VisitPhotoAdmin(ReadOnlyAdmin):
    list_display = ("visit", "image", "size_bytes")
    search_fields = ("visit__retailer__shop_name",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(visit__retailer__in=_scope(request))


@admin.register(CoverageExport)
class CoverageExportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "row_count", "filters")
    list_filter = ("created_at",)
    search_fields = ("user__username", "user__display_name")
