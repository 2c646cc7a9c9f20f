"""The KPI snapshots, refreshed set-based by beat (`cockpit.kpi_snapshots_refresh`, hourly): each measure is one
GROUP BY GROUPING SETS over the summaries and tables the other jobs keep (weekly/monthly purchase summaries, the
scoring run's scores and events, visit plans, complaint deadlines, survey responses, deliveries, allocation
allowances, points accounts, campaigns' uplift against their holdouts), per retailer org unit and per customer manager. Unit rows are then rolled up the
org tree (a county holds the sum of its departments), so the cockpit reads a handful of rows per page view and
never an order line.

State KPIs (active retailers, points liability, data quality) describe the moment of the refresh: a past period
keeps what was recorded while it was current and is only filled in when it has no row yet (a first run)."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from campaigns.services.uplift import campaign_uplifts_refresh
from cockpit.kpis import KPIS
from cockpit.models import KpiSnapshot, Period
from cockpit.periods import aware, period_end, period_start, quarter_label, shift
from cockpit.services.targets import kpi_alerts_check
from users.models import OrgUnit

TREND_LENGTH = 13  # the 12 periods of the trend line and the one before, for the first change

RETAILER = """
SELECT r.org_unit_id, rt.manager_id,
       (r.status = 'active' AND r.created_at < %(end)s)::int AS active,
       (r.status = 'active' AND (r.route_id IS NULL OR rt.manager_id IS NULL))::int AS missing_manager,
       (r.status = 'active' AND (r.latitude IS NULL OR r.longitude IS NULL))::int AS missing_location,
       (r.status = 'active' AND NOT r.sms_consent AND NOT r.email_consent)::int AS missing_consent,
       coalesce(pa.balance, 0) AS points_liability
FROM accounts_retailer r
LEFT JOIN users_route rt ON rt.id = r.route_id
LEFT JOIN loyalty_pointsaccount pa ON pa.retailer_id = r.id
"""

SALES = """
SELECT r.org_unit_id, rt.manager_id,
       (s.order_count > 0 AND r.status = 'active')::int AS ordered,
       s.cartons, s.amount_fen AS amount
FROM sales_retailerperiodsummary s
JOIN accounts_retailer r ON r.id = s.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE s.period = %(period)s AND s.period_start = %(start_day)s
"""

LIFECYCLE = """
SELECT r.org_unit_id, rt.manager_id, 1 AS new, 0 AS at_risk, 0 AS lost, 0 AS reactivated
FROM segmentation_retailerscore sc
JOIN accounts_retailer r ON r.id = sc.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE sc.first_order_on >= %(start_day)s AND sc.first_order_on < %(end_day)s
UNION ALL
SELECT r.org_unit_id, rt.manager_id, 0,
       (e.kind = 'became_at_risk')::int, (e.kind = 'became_lost')::int, (e.kind = 'reactivated')::int
FROM segmentation_scoringevent e
JOIN accounts_retailer r ON r.id = e.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE e.at >= %(start)s AND e.at < %(end)s AND e.kind IN ('became_at_risk', 'became_lost', 'reactivated')
"""

# as visits.coverage.selectors counts it: a plan is done by a (trusted) visit to the shop in the plan's week
VISITS = """
SELECT r.org_unit_id, p.manager_id, 1 AS planned,
       EXISTS (
           SELECT 1 FROM visits_visit v
           WHERE v.retailer_id = p.retailer_id{trusted}
             AND v.visited_on BETWEEN date_trunc('week', p.planned_on)::date
                                  AND date_trunc('week', p.planned_on)::date + 6
       )::int AS done
FROM visits_visitplan p
JOIN accounts_retailer r ON r.id = p.retailer_id
WHERE p.planned_on >= %(start_day)s AND p.planned_on < %(end_day)s
"""

# as feedback.complaints.reports.selectors counts attainment: a case counts once its deadline passed or was met
COMPLAINTS = """
SELECT r.org_unit_id, rt.manager_id,
       (c.response_due IS NOT NULL AND (c.responded_at IS NOT NULL OR c.response_due < %(now)s))::int AS resp_due,
       (c.responded_at IS NOT NULL AND c.responded_at <= c.response_due)::int AS resp_met,
       (c.resolution_due IS NOT NULL AND (c.resolved_at IS NOT NULL OR c.resolution_due < %(now)s))::int AS res_due,
       (c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due)::int AS res_met
FROM feedback_complaint c
JOIN accounts_retailer r ON r.id = c.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE c.opened_at >= %(start)s AND c.opened_at < %(end)s
"""

# weighted by the sampling weights, as feedback.surveys.indices; ×1000 to keep integers
SATISFACTION = """
SELECT r.org_unit_id, rt.manager_id,
       round(sr.overall_score * sr.weight * 1000)::bigint AS score, round(sr.weight * 1000)::bigint AS weight
FROM feedback_surveyresponse sr
JOIN feedback_survey sv ON sv.id = sr.survey_id
JOIN accounts_retailer r ON r.id = sr.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE sv.period = %(quarter)s AND sv.state IN ('fieldwork', 'closed') AND sr.overall_score IS NOT NULL
"""

REACH = """
SELECT r.org_unit_id, rt.manager_id, 1 AS reached
FROM accounts_retailer r
LEFT JOIN users_route rt ON rt.id = r.route_id
WHERE r.status = 'active' AND EXISTS (
    SELECT 1 FROM campaigns_delivery d
    WHERE d.retailer_id = r.id AND NOT d.is_holdout AND d.state IN ('sent', 'delivered')
      AND d.sent_at >= %(start)s AND d.sent_at < %(end)s
)
"""

# the cycles that start in the period; within-limit ordered ÷ allowed, as sales.allocation.selectors
FILL = """
WITH plans AS (
    SELECT id, product_id, cycle_start, cycle_end FROM sales_allocationplan
    WHERE state = 'published' AND cycle_start >= %(start_day)s AND cycle_start < %(end_day)s
),
ordered AS (
    -- through each allowance's own retailer (sales_order's retailer index), not every order of the cycle
    SELECT a.plan_id, a.retailer_id, sum(l.cartons) AS cartons
    FROM sales_allocationallowance a
    JOIN plans pl ON pl.id = a.plan_id
    JOIN sales_order o ON o.retailer_id = a.retailer_id AND o.ordered_on BETWEEN pl.cycle_start AND pl.cycle_end
    JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on AND l.product_id = pl.product_id
    WHERE a.cartons > 0
    GROUP BY 1, 2
)
SELECT r.org_unit_id, rt.manager_id, a.cartons AS allowed, least(coalesce(od.cartons, 0), a.cartons) AS filled
FROM sales_allocationallowance a
JOIN plans pl ON pl.id = a.plan_id
JOIN accounts_retailer r ON r.id = a.retailer_id
LEFT JOIN users_route rt ON rt.id = r.route_id
LEFT JOIN ordered od ON od.plan_id = a.plan_id AND od.retailer_id = a.retailer_id
"""

# campaigns whose measurement window closed in the period, by the unit that ran them (campaigns.CampaignUplift,
# measured just before by campaign_uplifts_refresh); see cockpit.kpis for the formula. Only campaigns whose groups
# both reach min_group count; the others are kept apart (uplift_short*) so the card can say why it has no value.
# Incremental orderers are kept in thousandths of a retailer to stay integers.
UPLIFT = """
SELECT c.org_unit_id, NULL::bigint AS manager_id,
       (f.ok)::int AS uplift_campaigns,
       CASE WHEN f.ok THEN round(1000 * (u.treated_ordered - u.treated_n * u.holdout_ordered::numeric / u.holdout_n))
            ELSE 0 END AS uplift_extra,
       CASE WHEN f.ok THEN 1000 * u.treated_n ELSE 0 END AS uplift_base,
       CASE WHEN f.ok THEN u.treated_n ELSE 0 END AS uplift_treated,
       CASE WHEN f.ok THEN u.holdout_n ELSE 0 END AS uplift_holdout,
       (NOT f.ok)::int AS uplift_short,
       CASE WHEN f.ok THEN 0 ELSE u.treated_n END AS uplift_short_treated,
       CASE WHEN f.ok THEN 0 ELSE u.holdout_n END AS uplift_short_holdout
FROM campaigns_campaignuplift u
JOIN campaigns_campaign c ON c.id = u.campaign_id
CROSS JOIN LATERAL (
    SELECT u.treated_n >= greatest(%(min_group)s, 1) AND u.holdout_n >= greatest(%(min_group)s, 1) AS ok
) f
WHERE u.window_end >= %(start_day)s AND u.window_end < %(end_day)s
"""

# measure name -> (facts SQL, its measure columns)
FACTS = {
    "retailer": (
        RETAILER,
        ("active", "missing_manager", "missing_location", "missing_consent", "points_liability"),
    ),
    "sales": (SALES, ("ordered", "cartons", "amount")),
    "lifecycle": (LIFECYCLE, ("new", "at_risk", "lost", "reactivated")),
    "visits": (VISITS, ("planned", "done")),
    "complaints": (COMPLAINTS, ("resp_due", "resp_met", "res_due", "res_met")),
    "satisfaction": (SATISFACTION, ("score", "weight")),
    "reach": (REACH, ("reached",)),
    "fill": (FILL, ("allowed", "filled")),
    "uplift": (
        UPLIFT,
        (
            "uplift_campaigns",
            "uplift_extra",
            "uplift_base",
            "uplift_treated",
            "uplift_holdout",
            "uplift_short",
            "uplift_short_treated",
            "uplift_short_holdout",
        ),
    ),
}

# KPI -> (numerator measure, denominator measure or None)
FORMULAS = {
    "active": ("active", None),
    "order_rate": ("ordered", "active"),
    "cartons": ("cartons", None),
    "amount": ("amount", None),
    "avg_price": ("amount", "cartons"),
    "new": ("new", None),
    "at_risk": ("at_risk", None),
    "lost": ("lost", None),
    "reactivated": ("reactivated", None),
    "visit_coverage": ("done", "planned"),
    "response_rate": ("resp_met", "resp_due"),
    "resolution_rate": ("res_met", "res_due"),
    "satisfaction": ("score", "weight"),
    "campaign_reach": ("reached", "active"),
    "campaign_uplift": ("uplift_extra", "uplift_base"),
    "fill_rate": ("filled", "allowed"),
    "points_liability": ("points_liability", None),
    "missing_manager": ("missing_manager", None),
    "missing_location": ("missing_location", None),
    "missing_consent": ("missing_consent", None),
}
assert set(FORMULAS) == set(KPIS)  # noqa: S101 - a KPI without its formula is a programming error

# KPI -> {key of KpiSnapshot.extra: measure}: the counts shown beside the value
EXTRAS = {
    "campaign_uplift": {
        "campaigns": "uplift_campaigns",
        "treated": "uplift_treated",
        "holdout": "uplift_holdout",
        "short": "uplift_short",
        "short_treated": "uplift_short_treated",
        "short_holdout": "uplift_short_holdout",
    },
}


def measures_collect(*, period: str, start: datetime.date, now: datetime.datetime | None = None) -> dict:
    """{("unit", org_unit_id) | ("manager", manager_id): {measure: total}} for one period, units not yet rolled
    up. One statement per fact table."""
    from visits.selectors import policy_get

    end = period_end(period, start)
    params = {
        "period": period,
        "start_day": start,
        "end_day": end,
        "start": aware(start),
        "end": aware(end),
        "now": now or timezone.now(),
        "quarter": quarter_label(start),
        "min_group": settings.CAMPAIGNS_UPLIFT_MIN_GROUP,
    }
    trusted = " AND v.trust IN ('ok', 'accepted')" if policy_get().coverage_trusted_only else ""
    totals: dict = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        for facts, columns in FACTS.values():
            sums = ", ".join(f"coalesce(sum({c}), 0)" for c in columns)
            sql = (
                f"SELECT GROUPING(org_unit_id) AS by_manager, org_unit_id, manager_id, {sums} "  # noqa: S608
                f"FROM ({facts.format(trusted=trusted)}) f "
                "GROUP BY GROUPING SETS ((org_unit_id), (manager_id))"
            )
            cursor.execute(sql, params)
            for by_manager, unit_id, manager_id, *values in cursor.fetchall():
                key = ("manager", manager_id) if by_manager else ("unit", unit_id)
                if key[1] is None:
                    continue
                for column, value in zip(columns, values, strict=True):
                    totals[key][column] += int(value)
    return totals


def _rolled_up(totals: dict) -> dict:
    """Unit totals summed up the org tree: each unit's row holds its whole subtree."""
    paths = dict(OrgUnit.objects.values_list("id", "path"))
    rolled: dict = defaultdict(lambda: defaultdict(int))
    for (owner, owner_id), measures in totals.items():
        if owner == "manager":
            rolled[(owner, owner_id)] = measures
            continue
        path = paths.get(owner_id)
        if path is None:
            continue
        for ancestor in (int(part) for part in path.strip("/").split("/") if part):
            for column, value in measures.items():
                rolled[("unit", ancestor)][column] += value
    # every unit gets a row, a unit with no retailers too (its KPIs read 0 or "—", not "missing")
    for unit_id in paths:
        rolled[("unit", unit_id)]
    return rolled


@transaction.atomic
def kpi_snapshots_refresh(
    *, period: str, start: datetime.date, with_state: bool | None = None, now: datetime.datetime | None = None
) -> int:
    """Recompute every KPI of every unit and manager for the period starting at `start` (replacing its rows).
    `with_state` (default: when the period is the current one or has no rows yet) also rewrites the state KPIs.
    Returns the number of rows written."""
    now = now or timezone.now()
    start = period_start(period, start)
    existing = KpiSnapshot.objects.filter(period=period, period_start=start)
    if with_state is None:
        current = period_start(period, timezone.localdate(now))
        with_state = start >= current or not existing.exists()
    kpis = [code for code, kpi in KPIS.items() if with_state or not kpi.state]
    rolled = _rolled_up(measures_collect(period=period, start=start, now=now))
    rows = []
    for (owner, owner_id), measures in rolled.items():
        for code in kpis:
            num_name, den_name = FORMULAS[code]
            rows.append(
                KpiSnapshot(
                    org_unit_id=owner_id if owner == "unit" else None,
                    manager_id=owner_id if owner == "manager" else None,
                    period=period,
                    period_start=start,
                    kpi=code,
                    num=measures.get(num_name, 0),
                    den=measures.get(den_name, 0) if den_name else None,
                    extra={key: measures.get(m, 0) for key, m in EXTRAS.get(code, {}).items()},
                    computed_at=now,
                )
            )
    existing.filter(kpi__in=kpis).delete()
    KpiSnapshot.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def kpi_snapshots_refresh_current(*, today: datetime.date | None = None, backfill: int = TREND_LENGTH) -> int:
    """The beat task's work: this and the last week and month; and, for a trend line from the first day, every
    period of the trend that has no rows yet."""
    today = today or timezone.localdate()
    campaign_uplifts_refresh()  # the campaigns' uplift first: 活动增量 reads it
    written = 0
    for period in (Period.WEEK, Period.MONTH):
        current = period_start(period, today)
        have = set(
            KpiSnapshot.objects.filter(period=period, period_start__gte=shift(period, current, -backfill + 1))
            .values_list("period_start", flat=True)
            .distinct()
        )
        for n in range(-backfill + 1, 1):
            start = shift(period, current, n)
            if n >= -1 or start not in have:
                written += kpi_snapshots_refresh(period=period, start=start)
    return written


def kpis_refresh_hourly() -> int:
    """The hourly beat's work: this and last week's and month's KPIs of every unit and manager
    (kpi_snapshots_refresh_current), then the targets judged against them (kpi_alerts_check). Returns the rows
    written."""
    written = kpi_snapshots_refresh_current()
    kpi_alerts_check()
    return written
