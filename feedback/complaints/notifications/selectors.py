"""Reads of a staff member's own in-app notifications."""

from django.db.models import QuerySet

from feedback.complaints.notifications.models import Notification
from users.models import User

UNREAD_CAP = 99


def notifications_unread_count(*, user: User) -> int:
    """Unread notifications, counted up to UNREAD_CAP + 1 (the badge says "99+"): a LIMIT on the partial index
    rather than a COUNT(*) on every page a user opens."""
    if not user.is_authenticated:
        return 0
    return len(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .order_by()  # a count: no sort by the model's ordering (the index has no id)
        .values_list("pk", flat=True)[: UNREAD_CAP + 1]
    )


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    qs = Notification.objects.filter(recipient=user).select_related("complaint")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")
