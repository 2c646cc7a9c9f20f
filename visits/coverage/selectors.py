"""Coverage of a period, per customer manager and route, in one SQL statement over the user's scope: the period's
plans with the visit counts the database keeps on each of them (VisitPlan.week_visits), and the period's visits,
each read from an index on the day, so the cost follows the period, not the history.

    planned      visit plans dated in the period
    done         those plans whose shop was visited in the plan's week (Monday–Sunday): a manager who goes a day
                 early or late still covers the plan
    coverage     done ÷ planned
    visits       visits made in the period (planned or not); too_far / no_location: those flagged at check-in
    doubtful     visits the trust assessment flagged (visits.trust.services) that a supervisor has not accepted
                 (pending review or rejected); flag rate = doubtful ÷ visits
    avg interval for each shop visited on at least two days in the period, (last day − first day) ÷ (days − 1);
                 the row shows the mean of its shops' intervals, in days

A page shows one row per manager (`by_route=False`: the same figures over all of the manager's routes, each shop's
interval counted once) and a manager's routes on demand (`manager_id`); the export and the API give every route.

Plans count for the manager and route they were made for; visits for the person who made them and the shop's
route at the time. While VisitPolicy.coverage_trusted_only is on (the default), a plan is done only by a visit
that is unflagged or accepted by a supervisor: a doubtful or rejected visit covers nothing."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from users.models import Route, User
from visits.selectors import fetch_dicts, policy_get, scope_is_everything, scope_sql

# Two passes, each over one period's rows of one index (visitplan_day_coverage, visit_day_coverage), whatever the
# size of the history: the plans with their week's visit counts (VisitPlan.week_visits, kept by the database), and
# the visits grouped per shop once for the counts and the shop's interval.
_COVERAGE_SQL = """
WITH plans AS (
    SELECT p.manager_id, {plan_route} AS route_id, count(*) AS planned,
           count(*) FILTER (WHERE p.{counted} > 0) AS done
    FROM visits_visitplan p
    WHERE p.planned_on BETWEEN %s AND %s{plans_scope}
    GROUP BY 1, 2
),
per_shop AS (
    SELECT v.manager_id, {visit_route} AS route_id, v.retailer_id,
           count(*) AS visits,
           count(*) FILTER (WHERE v.location_flag = 'too_far') AS too_far,
           count(*) FILTER (WHERE v.location_flag = 'no_location') AS no_location,
           count(*) FILTER (WHERE v.trust IN ('doubtful', 'rejected')) AS doubtful,
           count(DISTINCT v.visited_on) AS days,
           max(v.visited_on) - min(v.visited_on) AS span
    FROM visits_visit v
    WHERE v.visited_on BETWEEN %s AND %s{visits_scope}
    GROUP BY 1, 2, 3
),
done_visits AS (
    SELECT manager_id, route_id,
           sum(visits)::bigint AS visits, sum(too_far)::bigint AS too_far,
           sum(no_location)::bigint AS no_location, sum(doubtful)::bigint AS doubtful,
           avg(span::numeric / (days - 1)) FILTER (WHERE days > 1) AS avg_interval
    FROM per_shop
    GROUP BY 1, 2
)
SELECT COALESCE(p.manager_id, d.manager_id) AS manager_id,
       COALESCE(p.route_id, d.route_id) AS route_id,
       COALESCE(p.planned, 0) AS planned,
       COALESCE(p.done, 0) AS done,
       COALESCE(d.visits, 0) AS visits,
       COALESCE(d.too_far, 0) AS too_far,
       COALESCE(d.no_location, 0) AS no_location,
       COALESCE(d.doubtful, 0) AS doubtful,
       d.avg_interval
FROM plans p
FULL OUTER JOIN done_visits d ON d.manager_id = p.manager_id AND d.route_id IS NOT DISTINCT FROM p.route_id
ORDER BY 1, 2
"""


_INTERVALS_SQL = """
SELECT v.retailer_id, r.shop_name, r.customer_code,
       count(DISTINCT v.visited_on) AS visit_days,
       min(v.visited_on) AS first_visit,
       max(v.visited_on) AS last_visit,
       round((max(v.visited_on) - min(v.visited_on))::numeric / (count(DISTINCT v.visited_on) - 1), 1) AS avg_interval
FROM visits_visit v
JOIN accounts_retailer r ON r.id = v.retailer_id
WHERE v.visited_on BETWEEN %s AND %s AND v.retailer_id IN ({scope})
GROUP BY v.retailer_id, r.shop_name, r.customer_code
HAVING count(DISTINCT v.visited_on) > 1
ORDER BY avg_interval DESC, v.retailer_id
LIMIT %s
"""


@dataclass
class CoverageRow:
    manager: User
    route: Route | None
    planned: int
    done: int
    visits: int
    too_far: int
    no_location: int
    avg_interval_days: Decimal | None
    doubtful: int = 0

    @property
    def flag_rate_pct(self) -> Decimal | None:
        if not self.visits:
            return None
        return (Decimal(self.doubtful) * 100 / self.visits).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def coverage_pct(self) -> Decimal | None:
        if not self.planned:
            return None
        return (Decimal(self.done) * 100 / self.planned).quantize(Decimal("0.1"), ROUND_HALF_UP)

    @property
    def flagged(self) -> int:
        return self.too_far + self.no_location


def coverage(
    *,
    user: User,
    day_from: datetime.date,
    day_to: datetime.date,
    by_route: bool = True,
    manager_id: int | None = None,
) -> list[CoverageRow]:
    """The period's coverage in the user's scope: a row per manager and route, or per manager (`by_route=False`,
    route None); only the manager `manager_id`'s rows when given."""
    counted = "week_visits_trusted" if policy_get().coverage_trusted_only else "week_visits"
    plans_scope = visits_scope = ""
    plans_params, visits_params = [day_from, day_to], [day_from, day_to]
    if not scope_is_everything(user):  # every plan and visit is of a retailer in scope: no filter to apply
        scope, scope_params = scope_sql(user)
        plans_scope = f" AND p.retailer_id IN ({scope})"
        visits_scope = f" AND v.retailer_id IN ({scope})"
        plans_params += scope_params
        visits_params += scope_params
    if manager_id is not None:
        plans_scope += " AND p.manager_id = %s"
        visits_scope += " AND v.manager_id = %s"
        plans_params.append(manager_id)
        visits_params.append(manager_id)
    sql = _COVERAGE_SQL.format(
        counted=counted,
        plans_scope=plans_scope,
        visits_scope=visits_scope,
        plan_route="p.route_id" if by_route else "NULL::integer",
        visit_route="v.route_id" if by_route else "NULL::integer",
    )
    params = (*plans_params, *visits_params)
    with transaction.atomic(), connection.cursor() as cursor:
        # A month of a province's visits is costed above jit_above_cost, and compiling the statement would take
        # longer than running it; its per-shop sort (~150k rows) fits in memory.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")
        rows = fetch_dicts(sql, params)
    users = User.objects.in_bulk({r["manager_id"] for r in rows})
    routes = Route.objects.in_bulk({r["route_id"] for r in rows if r["route_id"]})
    return [
        CoverageRow(
            manager=users[r["manager_id"]],
            route=routes.get(r["route_id"]),
            planned=r["planned"],
            done=r["done"],
            visits=r["visits"],
            too_far=r["too_far"],
            no_location=r["no_location"],
            doubtful=r["doubtful"],
            avg_interval_days=(
                r["avg_interval"].quantize(Decimal("0.1"), ROUND_HALF_UP)
                if r["avg_interval"] is not None
                else None
            ),
        )
        for r in rows
    ]


def coverage_totals(rows: list[CoverageRow]) -> dict:
    planned = sum(r.planned for r in rows)
    done = sum(r.done for r in rows)
    return {
        "planned": planned,
        "done": done,
        "visits": sum(r.visits for r in rows),
        "flagged": sum(r.flagged for r in rows),
        "doubtful": sum(r.doubtful for r in rows),
        "coverage_pct": (Decimal(done) * 100 / planned).quantize(Decimal("0.1"), ROUND_HALF_UP)
        if planned
        else None,
    }


def retailer_intervals(
    *, user: User, day_from: datetime.date, day_to: datetime.date, limit: int = 20
) -> list[dict]:
    """Per shop visited on at least two days in the period: (last − first) ÷ (days − 1), longest first."""
    scope, scope_params = scope_sql(user)
    return fetch_dicts(_INTERVALS_SQL.format(scope=scope), (day_from, day_to, *scope_params, limit))
