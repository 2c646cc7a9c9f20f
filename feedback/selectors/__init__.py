"""Every read of the feedback app. Import from here."""

from feedback.selectors.complaints import (
    categories_active,
    complaint_get,
    complaint_scope,
    complaint_timeline,
    complaints_overdue,
    notifications_unread_count,
    unit_supervisor,
)

__all__ = [
    "categories_active",
    "complaint_get",
    "complaint_scope",
    "complaint_timeline",
    "complaints_overdue",
    "notifications_unread_count",
    "unit_supervisor",
]
