from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin
from sales.allocation.models import AllocationExcess, AllocationPlan, AllocationRule
from sales.models import (
    Order,
    OrderLine,
    PriceClassBand,
    Product,
    RetailerPeriodSummary,
    RetailerProductSummary,
)


@admin.register(PriceClassBand)
class PriceClassBandAdmin(ModelAdmin):
    list_display = ("effective_from", "price_class", "min_wholesale_fen", "max_wholesale_fen")
    list_filter = ("effective_from", "price_class")


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = (
        "code",
        "brand",
        "name",
        "wholesale_price_fen",
        "retail_price_fen",
        "price_class",
        "status",
        "is_scarce",
        "substitute",
    )
    list_filter = ("status", "price_class", "is_scarce", "is_in_province", "brand")
    search_fields = ("code", "brand", "name", "manufacturer")
    raw_id_fields = ("substitute",)


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ("product",)
    readonly_fields = ("product", "cartons", "unit_price_fen", "amount_fen")
    can_delete = False


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = ("order_no", "source", "retailer", "ordered_on", "cartons", "amount_fen")
    list_filter = ("source", "ordered_on")
    search_fields = ("order_no", "=retailer__licence_no")
    date_hierarchy = "ordered_on"
    show_full_result_count = False
    raw_id_fields = ("retailer",)
    inlines = [OrderLineInline]
    list_select_related = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def has_add_permission(self, request):
        return False  # orders come from the ordering platform through imports (sales.add_order is for those)

    def has_change_permission(self, request, obj=None):
        return False  # orders come from the ordering platform through imports


@admin.register(RetailerPeriodSummary)
class RetailerPeriodSummaryAdmin(ModelAdmin):
    list_display = ("retailer", "period", "period_start", "order_count", "cartons", "amount_fen")
    list_filter = ("period",)
    search_fields = ("=retailer__licence_no",)
    show_full_result_count = False
    raw_id_fields = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RetailerProductSummary)
class RetailerProductSummaryAdmin(ModelAdmin):
    list_display = ("retailer", "product", "week_start", "order_count", "cartons", "amount_fen")
    list_filter = ("product",)
    search_fields = ("=retailer__licence_no",)
    show_full_result_count = False
    raw_id_fields = ("retailer", "product")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def has_change_permission(self, request, obj=None):
        return False


class AllocationRuleInline(admin.TabularInline):
    model = AllocationRule
    extra = 0
    can_delete = False
    readonly_fields = ("tier_from", "tier_to", "market_type", "cartons")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AllocationPlan)
class AllocationPlanAdmin(ModelAdmin):
    """Plans are drafted and published on the allocation pages (preview, supply check); the admin lists them and
    can publish drafts that fit the supply."""

    list_display = (
        "product",
        "org_unit",
        "cycle_start",
        "cycle_end",
        "version",
        "state",
        "supply_cartons",
        "total_allowance",
    )
    list_filter = ("state", "cycle_start", "org_unit")
    search_fields = ("product__name", "product__code", "product__brand")
    date_hierarchy = "cycle_start"
    list_select_related = ("product", "org_unit")
    inlines = [AllocationRuleInline]
    readonly_fields = [f.name for f in AllocationPlan._meta.fields]
    actions = ["publish"]

    def get_queryset(self, request):
        from sales.allocation.selectors import plan_visible_q

        return super().get_queryset(request).filter(plan_visible_q(user=request.user))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("发布所选草稿（须在货源之内）"), permissions=["publish"])
    def publish(self, request, queryset):
        from django.core.exceptions import PermissionDenied, ValidationError

        from core.errors import ConflictError
        from sales.allocation.services import allocation_plan_publish

        for plan in queryset.filter(state=AllocationPlan.State.DRAFT):
            try:
                allocation_plan_publish(actor=request.user, plan=plan)
            except (ValidationError, ConflictError, PermissionDenied) as error:
                self.message_user(
                    request, f"{plan}: {'；'.join(getattr(error, 'messages', [str(error)]))}", messages.ERROR
                )
            else:
                self.message_user(request, _("已发布 %(plan)s") % {"plan": plan}, messages.SUCCESS)

    def has_publish_permission(self, request):
        return request.user.has_perm("sales.publish_allocationplan")


@admin.register(AllocationExcess)
class AllocationExcessAdmin(ModelAdmin):
    list_display = ("retailer", "plan", "ordered_on", "allowance", "ordered_to_date", "excess_cartons")
    list_filter = ("ordered_on",)
    search_fields = ("=retailer__licence_no", "=retailer__customer_code", "plan__product__name")
    show_full_result_count = False
    list_select_related = ("retailer", "plan__product")
    raw_id_fields = ("retailer", "order_line", "plan")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AllocationRule)
class AllocationRuleAdmin(ModelAdmin):
    """Rule rows are edited with their plan on the allocation pages; listed here for search."""

    list_display = ("plan", "tier_from", "tier_to", "market_type", "cartons")
    list_filter = ("market_type", "plan__state")
    search_fields = ("plan__product__name", "plan__product__code")
    list_select_related = ("plan__product",)

    def get_queryset(self, request):
        from sales.allocation.selectors import plan_visible_q

        return (
            super()
            .get_queryset(request)
            .filter(plan__in=AllocationPlan.objects.filter(plan_visible_q(user=request.user)))
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
