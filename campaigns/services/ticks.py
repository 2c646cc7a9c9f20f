"""What Celery beat runs every minute: schedules live in the database, so this is the only clock. It starts due
campaigns and journeys, sends back to the queue what a dead worker left "sending", restarts send tasks that went
missing (a lost broker message, a killed worker) and closes drained campaigns. Every step is idempotent."""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from campaigns.models import Campaign, Delivery
from campaigns.services.campaigns import campaign_start
from campaigns.services.claims import deliveries_requeue_stale
from campaigns.services.sending import campaign_finish_if_drained, send_tasks_enqueue

logger = logging.getLogger(__name__)
STATE = Campaign.State


@dataclass
class TickResult:
    started: list[int] = field(default_factory=list)
    requeued_campaigns: list[int] = field(default_factory=list)
    pumped: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    journeys: int = 0


def campaigns_due(now: datetime.datetime):
    return Campaign.objects.filter(state=STATE.SCHEDULED).filter(
        Q(schedule_kind__in=[Campaign.ScheduleKind.NOW, Campaign.ScheduleKind.AT], send_at__lte=now)
        | Q(schedule_kind=Campaign.ScheduleKind.CRON, next_run_at__lte=now)
    )


def dispatch_tick(*, now: datetime.datetime | None = None, journeys: bool = True) -> TickResult:
    now = now or timezone.now()
    result = TickResult()
    for campaign_id in campaigns_due(now).values_list("pk", flat=True):
        started = campaign_start(campaign_id=campaign_id, now=now)
        if started is not None:
            result.started.append(started.pk)
    if journeys:
        from campaigns.services.journeys import journeys_run_due

        result.journeys = len(journeys_run_due(now=now))
    stale = deliveries_requeue_stale()
    for campaign_id in sorted(stale):
        send_tasks_enqueue(campaign_id=campaign_id, count=1)
    result.requeued_campaigns = sorted(stale)
    quiet_after = now - datetime.timedelta(seconds=settings.CAMPAIGNS_PUMP_STALE_SECONDS)
    due_work = Delivery.objects.filter(campaign=OuterRef("pk"), state=Delivery.State.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)
    )
    sending = Campaign.objects.filter(state=STATE.SENDING).annotate(has_due=Exists(due_work))
    for campaign in sending.only("pk", "pumped_at"):
        if not campaign.has_due:
            if campaign_finish_if_drained(campaign_id=campaign.pk):
                result.finished.append(campaign.pk)
        elif campaign.pk not in stale and (campaign.pumped_at is None or campaign.pumped_at < quiet_after):
            send_tasks_enqueue(campaign_id=campaign.pk)
            result.pumped.append(campaign.pk)
    return result
