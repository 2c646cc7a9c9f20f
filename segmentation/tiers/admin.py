"""Admin of the tier engine: its rule (one row), and its proposals and the tier history (read-only: written by
the tier page and the API through services)."""

from django.contrib import admin

from core.admin import ModelAdmin, ReadOnlyAdmin
from segmentation.scoring.admin import ScopedAdmin
from segmentation.tiers.models import TierChange, TierProposal, TierProposalLine, TierRule
from segmentation.tiers.selectors import tier_proposal_list


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
