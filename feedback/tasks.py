"""Thin Celery adapters: load by id, call one service. Idempotence lives in the services (claims first)."""

from celery import shared_task

from feedback.complaints.notifications.services import (
    NotificationEmailError,
    notification_email_send,
    notification_emails_send,
)
from feedback.complaints.services.deadlines import complaints_deadlines_recompute
from feedback.complaints.services.escalation import complaints_escalate
from feedback.complaints.services.follow_up import FollowUpRetryError, complaint_follow_up_sms_send


@shared_task(name="feedback.complaints_escalate", acks_late=True)
def complaints_escalate_task() -> int:
    """Beat, every 5 minutes: escalate breached response/resolution deadlines, once per breach."""
    return complaints_escalate()


@shared_task(name="feedback.complaints_deadlines_recompute", acks_late=True)
def complaints_deadlines_recompute_task() -> int:
    """Beat, daily: replace provisional deadlines once the holiday calendar covers their year (idempotent)."""
    return complaints_deadlines_recompute()


@shared_task(name="feedback.notification_email", acks_late=True)
def notification_email_task(notification_id: int) -> bool:
    return notification_email_send(notification_id=notification_id)


@shared_task(
    name="feedback.notification_emails",
    acks_late=True,
    autoretry_for=(NotificationEmailError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def notification_emails_task(notification_ids: list[int]) -> int:
    """Emails a batch of notifications, each at most once; a batch with failures is retried with backoff and the
    retry sends only the ones still unsent (see `notification_emails_send`)."""
    return notification_emails_send(notification_ids=notification_ids)


@shared_task(
    name="feedback.complaint_follow_up_sms",
    acks_late=True,
    autoretry_for=(FollowUpRetryError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def complaint_follow_up_sms_task(complaint_id: int) -> bool:
    return complaint_follow_up_sms_send(complaint_id=complaint_id)
