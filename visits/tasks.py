"""Celery adapters for field work: call one service. Plan generation is idempotent (unique per shop and day, one
plan per shop and week), so acks_late redelivery is safe."""

from celery import shared_task

from visits.plans.services import plans_generate_upcoming


@shared_task(name="visits.plans_generate", acks_late=True)
def plans_generate_task() -> dict:
    """Nightly: plan next week (and this week, if a new route or shop appeared since the last run)."""
    return plans_generate_upcoming()
