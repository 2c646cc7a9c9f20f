"""Thin Celery adapters: load by id, call one service. Idempotence lives in the services (claims first)."""

import logging

from celery import shared_task

from feedback.services.complaints import (
    complaints_deadlines_recompute,
    complaints_escalate,
    notification_email_send,
)
from feedback.services.follow_up import FollowUpRetryError, complaint_follow_up_sms_send

logger = logging.getLogger(__name__)


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


class NotificationEmailError(Exception):
    """Some emails of a batch failed; their claims were given back, so the retried batch sends only those."""


@shared_task(
    name="feedback.notification_emails",
    acks_late=True,
    autoretry_for=(NotificationEmailError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=6,
)
def notification_emails_task(notification_ids: list[int]) -> int:
    """Emails a batch of notifications, each at most once (the service's `emailed_at` claim). One that fails does
    not keep the others from going; the batch then fails with NotificationEmailError and is retried with backoff,
    and the retry sends only the ones still unsent. Returns how many were sent."""
    sent, failed = 0, []
    for notification_id in notification_ids:
        try:
            sent += notification_email_send(notification_id=notification_id)
        except Exception as exc:  # any mail error: the others still go, the batch is retried below
            logger.warning("notification %s: the email failed: %s", notification_id, exc)
            failed.append(notification_id)
    if failed:
        raise NotificationEmailError(
            f"{len(failed)} of {len(notification_ids)} notification emails failed (ids {failed[:10]}); "
            "their claims were released and the batch will be retried"
        )
    return sent


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
