from django.contrib import admin

from accounts.selectors import retailer_scope
from sales.models import Order, OrderLine, PriceClassBand, Product, RetailerPeriodSummary


@admin.register(PriceClassBand)
class PriceClassBandAdmin(admin.ModelAdmin):
    list_display = ("effective_from", "price_class", "min_wholesale_fen", "max_wholesale_fen")
    list_filter = ("effective_from", "price_class")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
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
class OrderAdmin(admin.ModelAdmin):
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

    def has_change_permission(self, request, obj=None):
        return False  # orders come from the ordering platform through imports


@admin.register(RetailerPeriodSummary)
class RetailerPeriodSummaryAdmin(admin.ModelAdmin):
    list_display = ("retailer", "period", "period_start", "order_count", "cartons", "amount_fen")
    list_filter = ("period",)
    search_fields = ("=retailer__licence_no",)
    show_full_result_count = False
    raw_id_fields = ("retailer",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))

    def has_change_permission(self, request, obj=None):
        return False
