"""Visit plans from service routes: one INSERT … SELECT per week, unique per retailer and day.

Which week a shop is planned in: weeks are numbered from Monday 2024-01-01; a shop visited every `n` weeks
(1 weekly, 2 fortnightly, 4 "monthly") is planned in the weeks where (week number + retailer id) is a multiple of
`n`, so a route's shops spread evenly over the cycle and any 4 consecutive weeks hold every active shop at least
once (every calendar month holds 4 consecutive weeks' worth of days, so every shop is planned at least monthly
as long as the nightly job runs). The day inside the week is the route's visit weekday, else the shop's order
weekday, else Monday. Frequency comes from the VisitPolicy: tier ≥ weekly_min_tier (or value class "high" when
high_value_weekly) weekly; tier ≥ fortnightly_min_tier fortnightly; the rest every four weeks."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from users.models import OrgUnit
from visits.selectors import policy_get

WEEK_ZERO = datetime.date(2024, 1, 1)  # a Monday

_GENERATE_SQL = """
INSERT INTO visits_visitplan (retailer_id, planned_on, manager_id, route_id, frequency, created_at)
SELECT r.id,
       %(monday)s::date + (COALESCE(rt.visit_weekday, r.order_weekday, 1) - 1),
       rt.manager_id, rt.id, f.frequency, now()
FROM accounts_retailer r
JOIN users_route rt ON rt.id = r.route_id AND rt.is_active AND rt.manager_id IS NOT NULL
LEFT JOIN segmentation_retailerscore s ON s.retailer_id = r.id
CROSS JOIN LATERAL (
    SELECT CASE
        WHEN COALESCE(r.tier, 0) >= %(weekly)s OR (%(high_weekly)s AND s.value_class = 'high') THEN 1
        WHEN COALESCE(r.tier, 0) >= %(fortnightly)s THEN 2
        ELSE 4 END AS weeks
) w
CROSS JOIN LATERAL (
    SELECT CASE w.weeks WHEN 1 THEN 'weekly' WHEN 2 THEN 'fortnightly' ELSE 'monthly' END AS frequency
) f
WHERE r.status = 'active'
  AND (%(week_no)s + r.id) %% w.weeks = 0
  {unit_filter}
  -- one plan per shop per week, even if the route's weekday changed since an earlier run
  AND NOT EXISTS (
      SELECT 1 FROM visits_visitplan p
      WHERE p.retailer_id = r.id AND p.planned_on BETWEEN %(monday)s::date AND %(monday)s::date + 6
  )
ON CONFLICT (retailer_id, planned_on) DO NOTHING
"""


def week_monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


@transaction.atomic
def plans_generate(*, week_of: datetime.date, org_unit: OrgUnit | None = None) -> int:
    """Plan the week containing `week_of` for every active shop on an active, staffed route (optionally only
    under `org_unit`). Idempotent: running it again adds nothing. Returns the number of plans created."""
    policy = policy_get()
    monday = week_monday(week_of)
    params = {
        "monday": monday,
        "week_no": (monday - WEEK_ZERO).days // 7,
        "weekly": policy.weekly_min_tier,
        "fortnightly": policy.fortnightly_min_tier,
        "high_weekly": policy.high_value_weekly,
    }
    unit_filter = ""
    if org_unit is not None:
        unit_filter = "AND r.org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %(path)s)"
        params["path"] = org_unit.path + "%"
    with connection.cursor() as cursor:
        cursor.execute(_GENERATE_SQL.format(unit_filter=unit_filter), params)
        return cursor.rowcount


def plans_generate_upcoming(*, today: datetime.date | None = None) -> dict[str, int]:
    """The nightly run: plan next week, and this week too (a route or shop that appeared since the last run). Each
    week in its own transaction, as plans_generate alone."""
    today = today or timezone.localdate()
    return {
        "this_week": plans_generate(week_of=today),
        "next_week": plans_generate(week_of=today + datetime.timedelta(days=7)),
    }
