"""Admin of scoring: the lifecycle rule (one row), runs, and the rows runs write (read-only)."""

from django.contrib import admin

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin, ReadOnlyAdmin
from segmentation.scoring.models import LifecycleRule, RetailerScore, ScoreChange, ScoringEvent, ScoringRun


@admin.register(LifecycleRule)
class LifecycleRuleAdmin(ModelAdmin):
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
    """Rows about one retailer, written by services and jobs, listed within the user's territory (also the base of
    the ML and tier admins' such rows)."""

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
    list_display = ("retailer", "kind", "ref_date", "detail", "run", "at")
    list_filter = ("kind",)
