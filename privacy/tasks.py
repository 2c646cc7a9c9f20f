"""Celery adapters for privacy: call one service."""

from celery import shared_task


@shared_task(name="privacy.retention_anonymise", acks_late=True)
def privacy_retention_task() -> int:
    from privacy.services import privacy_retention_run

    return privacy_retention_run()
