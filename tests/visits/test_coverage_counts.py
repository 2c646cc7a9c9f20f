"""Coverage read from the plans' week visit counts (VisitPlan.week_visits, kept by the database) gives the numbers
the earlier computation gave, which looked for a visit in each plan's week at read time: the earlier statement is
kept here as the reference and both are run on generated plans and visits, after every kind of write the counts
must follow (visits recorded before and after the plan, reviewed, moved to another shop or day, deleted; plans
made later, moved by a merge), for several periods, both settings of coverage_trusted_only and three scopes."""

import datetime
import random
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.utils import timezone

from tests.accounts.factories import RetailerFactory
from tests.visits.factories import VisitPlanFactory
from visits.coverage.selectors import coverage
from visits.models import Visit, VisitPlan, VisitPolicy
from visits.selectors import scope_sql

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2026, 10, 26)  # a Monday; the data spans six weeks from here
FLAGS = ["ok", "ok", "ok", "too_far", "no_location", "shop_unlocated"]
TRUST = ["ok", "ok", "ok", "doubtful", "accepted", "rejected"]

# the computation before the counts (visits.coverage.selectors until December 2026), verbatim but for the names
REFERENCE_SQL = """
WITH scope AS ({scope}),
plans AS (
    SELECT p.manager_id, p.route_id,
           count(*) AS planned,
           count(*) FILTER (WHERE EXISTS (
               SELECT 1 FROM visits_visit v
               WHERE v.retailer_id = p.retailer_id{counted}
                 AND v.visited_on BETWEEN date_trunc('week', p.planned_on)::date
                                      AND date_trunc('week', p.planned_on)::date + 6
           )) AS done
    FROM visits_visitplan p
    WHERE p.planned_on BETWEEN %s AND %s AND p.retailer_id IN (SELECT * FROM scope)
    GROUP BY 1, 2
),
period_visits AS (
    SELECT v.manager_id, v.route_id, v.retailer_id, v.visited_on, v.location_flag, v.trust
    FROM visits_visit v
    WHERE v.visited_on BETWEEN %s AND %s AND v.retailer_id IN (SELECT * FROM scope)
),
done_visits AS (
    SELECT manager_id, route_id,
           count(*) AS visits,
           count(*) FILTER (WHERE location_flag = 'too_far') AS too_far,
           count(*) FILTER (WHERE location_flag = 'no_location') AS no_location,
           count(*) FILTER (WHERE trust IN ('doubtful', 'rejected')) AS doubtful
    FROM period_visits GROUP BY 1, 2
),
intervals AS (
    SELECT manager_id, route_id, avg(span) AS avg_interval
    FROM (
        SELECT manager_id, route_id, retailer_id,
               (max(visited_on) - min(visited_on))::numeric / (count(DISTINCT visited_on) - 1) AS span
        FROM period_visits
        GROUP BY 1, 2, 3
        HAVING count(DISTINCT visited_on) > 1
    ) per_shop
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
       i.avg_interval
FROM plans p
FULL OUTER JOIN done_visits d ON d.manager_id = p.manager_id AND d.route_id IS NOT DISTINCT FROM p.route_id
LEFT JOIN intervals i
       ON i.manager_id = COALESCE(p.manager_id, d.manager_id)
      AND i.route_id IS NOT DISTINCT FROM COALESCE(p.route_id, d.route_id)
ORDER BY 1, 2
"""


def reference(user, day_from, day_to, *, trusted_only: bool) -> list[tuple]:
    scope, params = scope_sql(user)
    counted = " AND v.trust IN ('ok', 'accepted')" if trusted_only else ""
    with connection.cursor() as cursor:
        cursor.execute(
            REFERENCE_SQL.format(scope=scope, counted=counted), (*params, day_from, day_to, day_from, day_to)
        )
        return [
            (*row[:8], row[8].quantize(Decimal("0.1"), ROUND_HALF_UP) if row[8] is not None else None)
            for row in cursor.fetchall()
        ]


def current(user, day_from, day_to) -> list[tuple]:
    rows = coverage(user=user, day_from=day_from, day_to=day_to)
    for r in rows:  # counts are ints, as count(*) gave them (a sum would give Decimals)
        assert {type(n) for n in (r.planned, r.done, r.visits, r.too_far, r.no_location, r.doubtful)} == {int}
    return [
        (
            r.manager.pk,
            r.route.pk if r.route else None,
            r.planned,
            r.done,
            r.visits,
            r.too_far,
            r.no_location,
            r.doubtful,
            r.avg_interval_days,
        )
        for r in rows
    ]


def a_visit(rng, shop, manager, route, day) -> Visit:
    flag = rng.choice(FLAGS)
    trust = rng.choice(TRUST)
    return Visit(
        retailer=shop,
        manager=manager,
        route=route,
        visited_on=day,
        checked_in_at=timezone.now(),
        location_flag=flag,
        no_location_reason="无信号" if flag == "no_location" else "",
        trust=trust,
        review_reason="照片不符" if trust == "rejected" else "",
    )


@pytest.fixture
def generated(route_a, route_b, manager_a, manager_b):
    """Six weeks of plans and visits on two routes: plans made before and after the visits they cover, same-day
    double visits, visits without a route, by the other county's manager, and on a plan's Monday or Sunday."""
    rng = random.Random(20261207)
    shops = [RetailerFactory(route=route_a) for _ in range(9)] + [
        RetailerFactory(route=route_b) for _ in range(7)
    ]
    staff = {route_a.pk: manager_a, route_b.pk: manager_b}
    days = [START + datetime.timedelta(days=n) for n in range(42)]
    plans_now, plans_later = [], []
    for shop in shops:
        for day in rng.sample(days, 7):
            plan = VisitPlan(
                retailer=shop,
                planned_on=day,
                manager=staff[shop.route_id],
                route=shop.route,
                frequency="weekly",
            )
            (plans_later if rng.random() < 0.3 else plans_now).append(plan)
    VisitPlan.objects.bulk_create(plans_now)
    visits = []
    for shop in shops:
        for day in rng.sample(days, 9):
            manager, route = staff[shop.route_id], shop.route
            if rng.random() < 0.1:
                manager, route = manager_b, None  # a visit by someone else, without a route
            visits.append(a_visit(rng, shop, manager, route, day))
            if rng.random() < 0.15:
                visits.append(a_visit(rng, shop, manager, route, day))  # twice on the same day
    Visit.objects.bulk_create(visits)  # one statement for many visits
    a_visit(rng, shops[0], manager_a, route_a, START).save()  # and one at a time
    VisitPlan.objects.bulk_create(plans_later)  # plans made after the visits that cover them
    return shops, rng


PERIODS = [
    (START, START + datetime.timedelta(days=41)),
    (START + datetime.timedelta(days=3), START + datetime.timedelta(days=23)),  # mid-week to mid-week
    (START + datetime.timedelta(days=7), START + datetime.timedelta(days=7)),
]


def assert_same(users):
    for trusted_only in (True, False):
        VisitPolicy.objects.update_or_create(pk=1, defaults={"coverage_trusted_only": trusted_only})
        for user in users:
            for day_from, day_to in PERIODS:
                expected = reference(user, day_from, day_to, trusted_only=trusted_only)
                assert current(user, day_from, day_to) == expected, (user, day_from, day_to, trusted_only)


def test_coverage_from_the_counts_equals_the_search_at_read_time(
    generated, company_admin, supervisor_a, manager_b
):
    users = (company_admin, supervisor_a, manager_b)
    assert any(r[3] for r in reference(company_admin, *PERIODS[0], trusted_only=True))  # plans are done
    assert_same(users)

    shops, rng = generated
    # reviews: a doubtful visit accepted, a trusted one rejected
    doubtful = Visit.objects.filter(trust="doubtful").order_by("pk")
    doubtful.filter(pk=doubtful.first().pk).update(trust="accepted")
    Visit.objects.filter(pk=Visit.objects.filter(trust="ok").order_by("pk").first().pk).update(
        trust="rejected", review_reason="位置不符"
    )
    # a visit moved to another day, visits deleted, one shop's visits and plans merged into another's
    moved = Visit.objects.order_by("pk")[5]
    Visit.objects.filter(pk=moved.pk).update(visited_on=moved.visited_on + datetime.timedelta(days=4))
    Visit.objects.filter(pk__in=Visit.objects.order_by("-pk").values("pk")[:6]).delete()
    survivor, duplicate = shops[1], shops[2]
    taken = set(VisitPlan.objects.filter(retailer=survivor).values_list("planned_on", flat=True))
    VisitPlan.objects.filter(retailer=duplicate, planned_on__in=taken).delete()
    VisitPlan.objects.filter(retailer=duplicate).update(retailer=survivor)
    Visit.objects.filter(retailer=duplicate).update(retailer=survivor)
    # a plan moved to another day, and one more visit where a plan had none
    plan = VisitPlan.objects.filter(retailer=shops[3]).order_by("planned_on").first()
    VisitPlan.objects.filter(pk=plan.pk).update(planned_on=plan.planned_on + datetime.timedelta(days=1))
    a_visit(rng, shops[4], shops[4].route.manager, shops[4].route, START + datetime.timedelta(days=20)).save()
    assert_same(users)


def test_the_counts_follow_every_write(retailer_a, manager_a, route_a):
    monday = D(2026, 11, 2)
    plan = VisitPlanFactory(
        retailer=retailer_a, planned_on=monday + datetime.timedelta(days=2), manager=manager_a, route=route_a
    )

    def counts():
        plan.refresh_from_db()
        return plan.week_visits, plan.week_visits_trusted

    def visit(day, trust="ok"):
        return Visit.objects.create(
            retailer=retailer_a,
            manager=manager_a,
            route=route_a,
            visited_on=day,
            checked_in_at=timezone.now(),
            location_flag="ok",
            trust=trust,
        )

    assert counts() == (0, 0)
    sunday = visit(monday + datetime.timedelta(days=6))  # the plan's Sunday: its week
    visit(monday + datetime.timedelta(days=7))  # next Monday: another week
    visit(monday - datetime.timedelta(days=1))  # the Sunday before
    assert counts() == (1, 1)
    doubtful = visit(monday, trust="doubtful")
    assert counts() == (2, 1)
    Visit.objects.filter(pk=doubtful.pk).update(trust="accepted")
    assert counts() == (2, 2)
    Visit.objects.filter(pk=sunday.pk).update(visited_on=monday + datetime.timedelta(days=7))
    assert counts() == (1, 1)
    Visit.objects.filter(pk=doubtful.pk).delete()
    assert counts() == (0, 0)
    later = VisitPlanFactory(
        retailer=retailer_a, planned_on=monday + datetime.timedelta(days=8), manager=manager_a, route=route_a
    )
    later.refresh_from_db()
    assert (later.week_visits, later.week_visits_trusted) == (2, 2)  # counted when made
