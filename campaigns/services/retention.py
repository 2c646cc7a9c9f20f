"""The send log is kept at least five months (MIIT) and no longer than needed (PIPL): deliveries and replies older
than CAMPAIGNS_SEND_LOG_RETENTION_DAYS are deleted in batches; a campaign keeps its final counts in `stats`."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import Campaign, InboundReply

BATCH = 10_000


def send_log_purge(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CAMPAIGNS_SEND_LOG_RETENTION_DAYS)
    from campaigns.selectors import campaign_counts

    # freeze the results of every campaign about to lose rows, once
    for campaign in Campaign.objects.filter(deliveries__created_at__lt=cutoff).distinct():
        if not campaign.stats:
            campaign.stats = {"counts": campaign_counts(campaign=campaign), "archived_at": now.isoformat()}
            campaign.save(update_fields=["stats", "updated_at"])
    deleted = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM campaigns_delivery WHERE id IN "
                "(SELECT id FROM campaigns_delivery WHERE created_at < %s LIMIT %s)",
                [cutoff, BATCH],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < BATCH:
                break
    InboundReply.objects.filter(received_at__lt=cutoff).delete()
    return deleted
