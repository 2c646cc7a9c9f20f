"""Admin of hidden-complaint calls: read only, scoped to the retailers the user may see."""

from django.contrib import admin

from accounts.selectors import retailer_scope
from core.admin import ReadOnlyAdmin
from feedback.complaints.hidden.models import HiddenComplaintCall


@admin.register(HiddenComplaintCall)
class HiddenComplaintCallAdmin(ReadOnlyAdmin):
    list_display = ("retailer", "outcome", "reason", "called_by", "called_at")
    list_filter = ("outcome",)
    search_fields = ("retailer__shop_name", "retailer__customer_code", "note")
    list_select_related = ("retailer", "called_by")

    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user).values("pk"))
        )
