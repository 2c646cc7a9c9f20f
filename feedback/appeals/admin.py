"""Admin of tier appeals: read only, scoped."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from feedback.appeals.models import TierAppeal
from feedback.appeals.selectors import tier_appeal_scope


@admin.register(TierAppeal)
class TierAppealAdmin(ReadOnlyAdmin):
    """Appeals are filed by retailers and decided on /service/tier-appeals/; here they are read only, scoped."""

    list_display = [
        "complaint",
        "retailer",
        "tier_at_filing",
        "outcome",
        "decided_tier",
        "decided_by",
        "decided_at",
    ]
    list_filter = ["outcome"]
    search_fields = ["retailer__shop_name", "retailer__customer_code", "decision_reason"]
    raw_id_fields = ["complaint", "retailer", "proposal", "decided_by", "tier_change"]

    def get_queryset(self, request):
        return tier_appeal_scope(user=request.user).select_related("retailer", "decided_by")
