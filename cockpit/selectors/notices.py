"""A user's notices: all of them, and the newest unread few."""

from django.db.models import QuerySet

from cockpit.models import Notice
from users.models import User


def notice_list(*, user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user)


def notices_unread(*, user: User, limit: int = 5) -> list[Notice]:
    return list(Notice.objects.filter(recipient=user, read_at__isnull=True)[:limit])
