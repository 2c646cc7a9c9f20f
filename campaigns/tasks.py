"""Celery adapters for outreach: take ids, call one service. Idempotence lives in the services (every delivery
is claimed before it is sent; every transition is conditional), so acks_late redelivery is safe."""

import logging

from celery import shared_task
from celery.signals import worker_ready

from campaigns.services.sending import campaign_send_and_hand_over

logger = logging.getLogger(__name__)


@worker_ready.connect
def _log_rate_limit_backend(**_kwargs):
    from campaigns.ratelimit import describe

    logger.warning("outreach: %s", describe())


@shared_task(name="campaigns.pump", acks_late=True)  # the name queued messages and routes know it by
def campaign_send_task(campaign_id: int) -> dict:
    """Send a campaign's due deliveries for a few seconds, then hand over to a fresh task of itself."""
    result = campaign_send_and_hand_over(campaign_id=campaign_id)
    return {"sent": result.sent, "skipped": result.skipped, "retry": result.retry, "failed": result.failed}


@shared_task(name="campaigns.start", acks_late=True)
def campaign_start_task(campaign_id: int) -> int | None:
    from campaigns.services.campaigns import campaign_start

    started = campaign_start(campaign_id=campaign_id)
    return started.pk if started else None


@shared_task(name="campaigns.dispatch_tick", acks_late=True)
def dispatch_tick_task() -> dict:
    """Every minute (beat): due campaigns and journeys, recovery of dead workers' claims, missing send tasks."""
    from campaigns.services.ticks import dispatch_tick

    result = dispatch_tick()
    return {"started": result.started, "requeued": result.requeued_campaigns, "finished": result.finished}


@shared_task(name="campaigns.send_log_retention", acks_late=True)
def send_log_retention_task() -> int:
    from campaigns.services.retention import send_log_purge

    return send_log_purge()


@shared_task(name="campaigns.noop")
def noop_task() -> None:
    """Does nothing: the dispatch benchmark's baseline (what a bare Celery round trip costs)."""
    return None
