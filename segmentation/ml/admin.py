"""Admin of what the machine-learning stages write (read-only)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from segmentation.ml.models import ClusterProfile, Recommendation
from segmentation.scoring.admin import ScopedAdmin


@admin.register(ClusterProfile)
class ClusterProfileAdmin(ReadOnlyAdmin):
    """Written by scoring runs; company-wide aggregates (no retailer in them)."""

    list_display = ("run", "number", "name", "size", "share")
    list_filter = ("run",)
    list_select_related = ("run",)


@admin.register(Recommendation)
class RecommendationAdmin(ScopedAdmin):
    list_display = (
        "retailer",
        "rank",
        "product",
        "kind",
        "peer_buyers",
        "peer_count",
        "substitute_for",
        "run",
    )
    list_filter = ("kind",)
    list_select_related = ("retailer", "product", "substitute_for", "run")
    raw_id_fields = ("retailer", "product", "substitute_for", "run")
    search_fields = ("=retailer__licence_no", "=retailer__customer_code", "=product__code", "product__name")
