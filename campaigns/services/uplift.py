"""A campaign's order uplift against its holdout (campaigns.CampaignUplift), measured set-based from the weekly
purchase summaries (sales.RetailerPeriodSummary) and stored, so no page view ever reads orders for it.

One statement measures every campaign that needs it: launched, and either never measured or with a window that
closed less than REMEASURE_DAYS ago (late order imports still change it). Older windows keep what was measured
(their send log is deleted after CAMPAIGNS_SEND_LOG_RETENTION_DAYS, the result stays). The hourly KPI job
(cockpit.services.snapshots.kpi_snapshots_refresh_current) calls it before it reads the results into the cockpit.

Per campaign: every delivery not cancelled, one row per retailer, split by `is_holdout` (intention to treat, as
campaigns.selectors.campaign_conversion); a retailer ordered when its weekly summaries of the window hold an order,
and its amount is their sum. The window is whole weeks (the summaries' grain): from the Monday of the launch day's
week to the Sunday of the week holding launch day + conversion_days."""

import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

REMEASURE_DAYS = 14

UPLIFT_SQL = """
WITH chosen AS (
    SELECT w.id, w.window_start, w.window_end
    FROM (
        SELECT c.id,
               date_trunc('week', (c.launched_at AT TIME ZONE %(tz)s)::date)::date AS window_start,
               date_trunc('week', (c.launched_at AT TIME ZONE %(tz)s)::date + c.conversion_days)::date + 6
                   AS window_end
        FROM campaigns_campaign c
        WHERE c.launched_at IS NOT NULL AND c.launched_at <= %(now)s {only}
    ) w
    LEFT JOIN campaigns_campaignuplift u ON u.campaign_id = w.id
    WHERE u.campaign_id IS NULL OR u.window_end >= %(since)s {force}
),
per_retailer AS (
    SELECT ch.id AS campaign_id, d.is_holdout,
           coalesce(sum(s.order_count), 0) AS orders, coalesce(sum(s.amount_fen), 0) AS amount
    FROM chosen ch
    JOIN campaigns_delivery d ON d.campaign_id = ch.id AND d.state <> 'cancelled'
    LEFT JOIN sales_retailerperiodsummary s
           ON s.retailer_id = d.retailer_id AND s.period = 'week'
          AND s.period_start BETWEEN ch.window_start AND ch.window_end
    GROUP BY ch.id, d.retailer_id, d.is_holdout
)
INSERT INTO campaigns_campaignuplift AS u
    (campaign_id, window_start, window_end, treated_n, treated_ordered, treated_amount_fen,
     holdout_n, holdout_ordered, holdout_amount_fen, computed_at)
SELECT ch.id, ch.window_start, ch.window_end,
       count(*) FILTER (WHERE NOT p.is_holdout),
       count(*) FILTER (WHERE NOT p.is_holdout AND p.orders > 0),
       coalesce(sum(p.amount) FILTER (WHERE NOT p.is_holdout), 0),
       count(*) FILTER (WHERE p.is_holdout),
       count(*) FILTER (WHERE p.is_holdout AND p.orders > 0),
       coalesce(sum(p.amount) FILTER (WHERE p.is_holdout), 0),
       %(now)s
FROM chosen ch
JOIN per_retailer p ON p.campaign_id = ch.id
GROUP BY ch.id, ch.window_start, ch.window_end
ON CONFLICT (campaign_id) DO UPDATE SET
    window_start = EXCLUDED.window_start, window_end = EXCLUDED.window_end,
    treated_n = EXCLUDED.treated_n, treated_ordered = EXCLUDED.treated_ordered,
    treated_amount_fen = EXCLUDED.treated_amount_fen, holdout_n = EXCLUDED.holdout_n,
    holdout_ordered = EXCLUDED.holdout_ordered, holdout_amount_fen = EXCLUDED.holdout_amount_fen,
    computed_at = EXCLUDED.computed_at
"""


@transaction.atomic
def campaign_uplifts_refresh(
    *, now: datetime.datetime | None = None, campaign_ids: list[int] | None = None
) -> int:
    """Measure (insert or update) the uplift of every campaign that needs it, in one statement; with
    `campaign_ids`, exactly those campaigns whatever their window's age. Returns the rows written."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    params = {
        "tz": settings.TIME_ZONE,
        "now": now,
        "since": today - datetime.timedelta(days=REMEASURE_DAYS),
        "ids": list(campaign_ids or []),
    }
    only = "AND c.id = ANY(%(ids)s)" if campaign_ids is not None else ""
    force = "OR TRUE" if campaign_ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(UPLIFT_SQL.format(only=only, force=force), params)
        return cursor.rowcount
