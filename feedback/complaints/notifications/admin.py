"""Admin of notifications: read only; each staff member sees their own (the company admin: all)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from feedback.complaints.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("recipient", "kind", "text", "created_at", "read_at", "emailed_at")
    list_filter = ("kind", ("read_at", admin.EmptyFieldListFilter))
    search_fields = ("text", "recipient__username", "recipient__display_name")
    list_select_related = ("recipient",)

    def get_queryset(self, request):
        # a notification names another territory's shop and case: its recipient's own (the company admin: all)
        qs = super().get_queryset(request)
        return qs if request.user.is_company_admin else qs.filter(recipient=request.user)
