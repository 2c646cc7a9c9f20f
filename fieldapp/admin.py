from django.contrib import admin

from core.admin import ReadOnlyAdmin
from fieldapp import selectors
from fieldapp.models import HeldVisit


@admin.register(HeldVisit)
class HeldVisitAdmin(ReadOnlyAdmin):
    """Read here; decided on the page /field/held/ (fieldapp.services.held_visit_decide)."""

    list_display = ("retailer", "manager", "created_at", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("retailer__shop_name", "retailer__customer_code", "manager__username")
    raw_id_fields = ("retailer", "manager", "decided_by", "visit")

    def get_queryset(self, request):
        return selectors.held_visits(user=request.user)
