from django import template

from feedback.complaints.notifications.selectors import notifications_unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context) -> int:
    """The navbar badge: the signed-in user's unread notifications (counted up to 100 on a partial index; the badge says "99+")."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return notifications_unread_count(user=request.user)
