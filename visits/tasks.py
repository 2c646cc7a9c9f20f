"""Celery adapters for field work: call one service. Plan generation is idempotent (unique per shop and day, one
plan per shop and week), so acks_late redelivery is safe."""

import datetime

from celery import shared_task
from django.utils import timezone

from visits import services


@shared_task(name="visits.plans_generate", acks_late=True)
def plans_generate_task() -> dict:
    """Nightly: plan next week (and this week, if a new route or shop appeared since the last run)."""
    today = timezone.localdate()
    return {
        "this_week": services.plans_generate(week_of=today),
        "next_week": services.plans_generate(week_of=today + datetime.timedelta(days=7)),
    }
