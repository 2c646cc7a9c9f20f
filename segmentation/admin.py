from django.contrib import admin

from accounts.selectors import retailer_scope
from segmentation.models import (
    ClusterProfile,
    LifecycleRule,
    Recommendation,
    RetailerScore,
    ScoreChange,
    ScoringEvent,
    ScoringRun,
    TierChange,
    TierProposal,
    TierProposalLine,
    TierRule,
)
from segmentation.selectors import tier_proposal_list


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by scoring runs."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LifecycleRule)
class LifecycleRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "new_days", "at_risk_weeks", "lost_weeks", "reactivated_weeks", "updated_at")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not LifecycleRule.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "status",
        "created_at",
        "started_at",
        "duration",
        "scored_count",
        "change_count",
        "event_count",
        "churn_status",
        "churn_auc",
        "churn_baseline_auc",
        "created_by",
    )
    list_filter = ("status", "churn_status")


class ScopedAdmin(ReadOnlyAdmin):
    raw_id_fields = ("retailer",)
    list_select_related = ("retailer",)
    show_full_result_count = False
    search_fields = ("=retailer__licence_no", "=retailer__customer_code")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user))


@admin.register(RetailerScore)
class RetailerScoreAdmin(ScopedAdmin):
    list_display = (
        "retailer",
        "lifecycle",
        "rfm_segment",
        "r_score",
        "f_score",
        "m_score",
        "value_class",
        "loyalty_class",
        "is_top20",
        "recency_days",
        "trend_pct",
        "cluster",
        "churn_probability",
        "churn_reason",
    )
    list_filter = ("lifecycle", "rfm_segment", "value_class", "loyalty_class", "is_top20", "churn_reason")
    list_select_related = ("retailer", "cluster")


@admin.register(ScoreChange)
class ScoreChangeAdmin(ScopedAdmin):
    list_display = ("retailer", "field", "old", "new", "run", "at")
    list_filter = ("field", "new")


@admin.register(ScoringEvent)
class ScoringEventAdmin(ScopedAdmin):
    list_display = ("retailer", "kind", "run", "at")
    list_filter = ("kind",)


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


@admin.register(TierRule)
class TierRuleAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "period",
        "mode",
        "weight_cartons",
        "weight_amount",
        "weight_avg_price",
        "updated_at",
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not TierRule.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TierProposal)
class TierProposalAdmin(ReadOnlyAdmin):
    """Proposals are created and published through the tier page or the API (services), never edited here."""

    list_display = (
        "id",
        "org_unit",
        "period_start",
        "period_end",
        "status",
        "retailer_count",
        "created_by",
        "published_by",
        "published_at",
    )
    list_filter = ("status",)

    def get_queryset(self, request):
        return tier_proposal_list(user=request.user)


@admin.register(TierProposalLine)
class TierProposalLineAdmin(ScopedAdmin):
    list_display = ("proposal", "retailer", "rank", "score", "current_tier", "proposed_tier", "is_new")
    list_filter = ("proposed_tier", "is_new")
    raw_id_fields = ("retailer", "proposal")


@admin.register(TierChange)
class TierChangeAdmin(ScopedAdmin):
    list_display = (
        "retailer",
        "from_tier",
        "to_tier",
        "source",
        "status",
        "requested_by",
        "approved_by",
        "requested_at",
        "decided_at",
    )
    list_filter = ("status", "source")
    raw_id_fields = ("retailer", "proposal")
