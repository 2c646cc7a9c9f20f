"""Every read of the feedback app. Import from here."""

from feedback.selectors.complaints import (
    categories_active,
    complaint_get,
    complaint_list,
    complaint_recent_duplicate,
    complaint_scope,
    complaint_timeline,
    complaints_overdue,
    notification_list,
    notifications_unread_count,
    retailer_open_complaints,
    unit_supervisor,
)

__all__ = [
    "categories_active",
    "complaint_get",
    "complaint_list",
    "complaint_recent_duplicate",
    "complaint_scope",
    "complaint_timeline",
    "complaints_overdue",
    "notification_list",
    "notifications_unread_count",
    "retailer_open_complaints",
    "unit_supervisor",
]
