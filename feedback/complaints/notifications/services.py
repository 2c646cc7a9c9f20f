"""In-app notifications and their emails: written in bulk, emailed after commit in batches, each email claimed once."""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t

from feedback.complaints.models import Complaint
from feedback.complaints.notifications.models import Notification
from users.models import User

logger = logging.getLogger(__name__)


def notify(
    *, recipients: Iterable[User], kind: str, complaint: Complaint | None, message: dict, text: str = ""
) -> list[Notification]:
    """In-app notifications (bulk) and, after commit, one email each to those who have an address. `message` is
    the system's line (core.messages); `text` a person's words it quotes as %(text)s."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind=kind, complaint=complaint, text=str(text)[:300], message=message
            )
            for user in {u.pk: u for u in recipients if u is not None}.values()
        ]
    )
    return _notifications_send(rows)


EMAIL_TASK_BATCH = 500  # notification ids per email task


def _notifications_send(rows: list[Notification]) -> list[Notification]:
    """After commit, email the notifications whose recipient has an address."""
    notification_emails_enqueue([row.pk for row in rows if row.recipient.email])
    return rows


def notification_emails_enqueue(notification_ids: list[int]) -> None:
    """After commit, one email task per batch of notification ids (each email still claimed once, by id)."""
    from feedback.tasks import notification_emails_task

    batches = [
        notification_ids[i : i + EMAIL_TASK_BATCH] for i in range(0, len(notification_ids), EMAIL_TASK_BATCH)
    ]
    if batches:
        transaction.on_commit(lambda: [notification_emails_task.delay(batch) for batch in batches])


def notification_email_send(*, notification_id: int) -> bool:
    """Emails one notification at most once: the `emailed_at` claim is taken before sending and given back if the
    sending fails (the error propagates, so the task is retried and the email is not lost)."""
    from django.conf import settings
    from django.core.mail import send_mail

    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient", "complaint").get(pk=notification_id)
    if not notification.recipient.email:
        return False
    link = ""
    if notification.complaint_id:
        link = (
            "\n" + settings.CAMPAIGNS_PUBLIC_BASE_URL.rstrip("/") + notification.complaint.get_absolute_url()
        )
    try:
        shown = notification.text_display
        send_mail(
            subject=_t("【客户服务】%(text)s") % {"text": shown[:60]},
            message=shown + link,
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        # the mail server refused or was down: give the claim back so a retry sends it, and say so to the caller
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


class NotificationEmailError(Exception):
    """Some emails of a batch failed; their claims were given back, so the retried batch sends only those."""


def notification_emails_send(*, notification_ids: list[int]) -> int:
    """Emails a batch of notifications, each at most once (`notification_email_send`'s `emailed_at` claim). One that
    fails does not keep the others from going; the batch then fails with NotificationEmailError (the task retries
    it with backoff), and the retry sends only the ones still unsent. Returns how many were sent."""
    sent, failed = 0, []
    for notification_id in notification_ids:
        try:
            sent += notification_email_send(notification_id=notification_id)
        except Exception as exc:  # any mail error: the others still go, the batch is retried by the task
            logger.warning("notification %s: the email failed: %s", notification_id, exc)
            failed.append(notification_id)
    if failed:
        raise NotificationEmailError(
            f"{len(failed)} of {len(notification_ids)} notification emails failed (ids {failed[:10]}); "
            "their claims were released and the batch will be retried"
        )
    return sent


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())
