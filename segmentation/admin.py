from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin, ReadOnlyAdmin
from segmentation.models import (
    ClusterProfile,
    LifecycleRule,
    Recommendation,
    RetailerScore,
    ScoreChange,
    ScoringEvent,
    ScoringRun,
    Segment,
    TierChange,
    TierProposal,
    TierProposalLine,
    TierRule,
)
from segmentation.rules import definition_describe, definition_validate
from segmentation.segments import segment_archive, segment_create, segment_may_change, segment_update
from segmentation.selectors import segment_list, segment_units_usable, tier_proposal_list


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
class TierRuleAdmin(ModelAdmin):
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


class SegmentAdminForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "org_unit", "definition"]

    def clean_definition(self):
        """The rules as the builder checks them for this user (rows of other tables they may not see refused)."""
        try:
            return definition_validate(self.cleaned_data["definition"], user=self.user)
        except ValidationError as exc:
            raise ValidationError(exc.error_list) from exc


@admin.register(Segment)
class SegmentAdmin(ModelAdmin):
    """Segments the admin user may see; every save goes through segmentation.segments (create, update), and
    segments are archived rather than deleted."""

    form = SegmentAdminForm
    list_display = ("name", "org_unit", "is_archived", "created_by", "updated_by", "updated_at")
    list_filter = ("is_archived", ("org_unit", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("org_unit", "created_by", "updated_by")
    search_fields = ("name", "description")
    readonly_fields = ("rules_text", "is_archived", "created_by", "updated_by", "created_at", "updated_at")
    actions = ["archive_selected"]

    def get_queryset(self, request):
        return segment_list(user=request.user, filters={"archived": None})

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org_unit":
            kwargs["queryset"] = segment_units_usable(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (
            obj is None or (segment_may_change(user=request.user, segment=obj) and not obj.is_archived)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("规则说明"))
    def rules_text(self, obj):
        return definition_describe(obj.definition) if obj else ""

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("name", "description", "org_unit", "definition")}
        if change:
            segment_update(user=request.user, segment=obj, **data)
        else:
            obj.pk = segment_create(user=request.user, **data).pk
        obj.refresh_from_db()

    @admin.action(description=_("归档所选分群"))
    def archive_selected(self, request, queryset):
        for segment in queryset:
            segment_archive(user=request.user, segment=segment)
        self.message_user(request, _("已归档 %(n)s 个分群。") % {"n": queryset.count()})
