"""Launching a campaign writes its send log: one Delivery per (campaign, retailer, channel) from the audience in one
INSERT … SELECT (a unique constraint makes a second launch a no-op), holdout rows drawn there by a stable hash of
(campaign, retailer). Step 1 of the exactly-once send (campaigns.services.sending)."""

import hashlib

from django.db import connection
from django.db.models import QuerySet

from campaigns.models import Campaign, Purpose
from core.db import queryset_sql


# ---- holdout ------------------------------------------------------------------------------------------------------
def holdout_bucket(campaign_key: int, retailer_id: int) -> int:
    """0–9999, the same number the launch SQL computes: md5 of "campaign:retailer", first 32 bits, mod 10000."""
    digest = hashlib.md5(f"{campaign_key}:{retailer_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % 10000


def is_holdout(campaign_key: int, retailer_id: int, pct: int) -> bool:
    return holdout_bucket(campaign_key, retailer_id) < pct * 100


_SNAPSHOT_SQL = """
WITH audience AS ({audience}),
written AS (
  INSERT INTO campaigns_delivery
    (campaign_id, retailer_id, channel, state, reason, error, is_holdout, marketing, address, attempts,
     provider_message_id, created_at)
  SELECT %s, a.held_id, %s, CASE WHEN a.held THEN 'holdout' ELSE 'queued' END, '', '', a.held, %s, '', 0, '', now()
  FROM (
    SELECT audience.id AS held_id,
           (('x' || substr(md5(%s || ':' || audience.id), 1, 8))::bit(32)::bigint %% 10000) < %s AS held
    FROM audience
  ) a
  ON CONFLICT (campaign_id, retailer_id, channel) DO NOTHING
  RETURNING is_holdout
)
SELECT count(*), count(*) FILTER (WHERE is_holdout) FROM written"""


def deliveries_snapshot(*, campaign: Campaign, audience: QuerySet) -> tuple[int, int]:
    """Write the campaign's Delivery rows from `audience` (a Retailer queryset) in one INSERT … SELECT, limited
    to the campaign's org unit. Returns (rows written, of which holdout). Running it twice writes nothing new."""
    audience = audience.filter(org_unit__path__startswith=campaign.org_unit.path).values("id")
    audience_sql, audience_params = queryset_sql(audience)
    sql = _SNAPSHOT_SQL.format(audience=audience_sql)
    params = [
        *audience_params,
        campaign.pk,
        campaign.channel,
        campaign.purpose == Purpose.MARKETING,
        str(campaign.holdout_key),
        campaign.holdout_pct * 100,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written, held = cursor.fetchone()
    return written, held
