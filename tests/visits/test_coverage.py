"""Coverage on a hand-built fortnight: planned vs done (a visit anywhere in the plan's week covers it), visits and
flagged check-ins, the mean interval between visits, scoping, the CSV export and its audit line."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.accounts.factories import RetailerFactory
from tests.users.factories import RouteFactory
from tests.visits.factories import VisitPlanFactory
from visits.coverage.selectors import coverage, coverage_totals, retailer_intervals
from visits.models import CoverageExport, Visit

pytestmark = pytest.mark.django_db

D = datetime.date
PERIOD = {"day_from": D(2026, 11, 2), "day_to": D(2026, 11, 15)}  # Monday to Sunday, two weeks


def plan(shop, day, manager, route):
    VisitPlanFactory(retailer=shop, planned_on=day, manager=manager, route=route, frequency="weekly")


def visit(shop, day, manager, flag="ok"):
    Visit.objects.create(
        retailer=shop,
        manager=manager,
        route=shop.route,
        visited_on=day,
        checked_in_at=timezone.now(),
        location_flag=flag,
        no_location_reason="无信号" if flag == "no_location" else "",
    )


@pytest.fixture
def fortnight(route_a, route_b, manager_a, manager_b, retailer_b):
    s1, s2, s3, s4 = (RetailerFactory(route=route_a) for _ in range(4))
    plan(s1, D(2026, 11, 4), manager_a, route_a)
    plan(s1, D(2026, 11, 11), manager_a, route_a)
    plan(s2, D(2026, 11, 5), manager_a, route_a)
    plan(s3, D(2026, 11, 12), manager_a, route_a)
    plan(s1, D(2026, 11, 18), manager_a, route_a)  # after the period
    visit(s1, D(2026, 11, 3), manager_a, "too_far")  # a day early: covers the 11-04 plan
    visit(s1, D(2026, 11, 13), manager_a)  # covers 11-11
    visit(s2, D(2026, 11, 9), manager_a, "no_location")  # the week after its plan: does not cover it
    for day in (D(2026, 11, 2), D(2026, 11, 6), D(2026, 11, 14)):  # s4 is unplanned: visits only
        visit(s4, day, manager_a)
    plan(retailer_b, D(2026, 11, 4), manager_b, route_b)
    visit(retailer_b, D(2026, 11, 4), manager_b)
    return s1, s2, s3, s4


def test_coverage_arithmetic_on_a_hand_built_fortnight(fortnight, supervisor_a, manager_a, route_a):
    rows = coverage(user=supervisor_a, **PERIOD)
    assert len(rows) == 1  # county A only
    row = rows[0]
    assert (row.manager, row.route) == (manager_a, route_a)
    assert (row.planned, row.done) == (4, 2)
    assert row.coverage_pct == Decimal("50.0")
    assert (row.visits, row.too_far, row.no_location, row.flagged) == (6, 1, 1, 2)
    # s1: (11-13 − 11-03) ÷ 1 = 10 days; s4: (11-14 − 11-02) ÷ 2 = 6 days; s2 one day only; mean (10 + 6) ÷ 2 = 8
    assert row.avg_interval_days == Decimal("8.0")


def test_interval_per_shop_longest_first(fortnight, supervisor_a, manager_b):
    s1, _s2, _s3, s4 = fortnight
    rows = retailer_intervals(user=supervisor_a, **PERIOD)
    assert [(r["retailer_id"], r["visit_days"], r["avg_interval"]) for r in rows] == [
        (s1.pk, 2, Decimal("10.0")),
        (s4.pk, 3, Decimal("6.0")),
    ]
    assert retailer_intervals(user=manager_b, **PERIOD) == []


def test_company_sees_both_counties_and_totals_add_up(fortnight, company_admin):
    rows = coverage(user=company_admin, **PERIOD)
    assert [(r.manager.username, r.planned, r.done) for r in rows] == [
        ("manager_a", 4, 2),
        ("manager_b", 1, 1),
    ]
    assert rows[1].avg_interval_days is None  # one visit: no interval
    totals = coverage_totals(rows)
    assert totals == {
        "planned": 5,
        "done": 3,
        "visits": 7,
        "flagged": 2,
        "doubtful": 0,
        "coverage_pct": Decimal("60.0"),
    }


def test_a_manager_sees_only_their_own_rows(fortnight, manager_b):
    rows = coverage(user=manager_b, **PERIOD)
    assert [(r.manager.username, r.planned, r.done, r.coverage_pct) for r in rows] == [
        ("manager_b", 1, 1, Decimal("100.0"))
    ]


def test_page_csv_export_is_logged_and_managers_may_not_export(
    fortnight, client_for, supervisor_a, manager_a
):
    client = client_for(supervisor_a)
    page = client.get("/visits/coverage/", {"day_from": "2026-11-02", "day_to": "2026-11-15"})
    assert page.status_code == 200
    assert "50.0%" in page.content.decode()

    response = client.get("/visits/coverage/export/", {"day_from": "2026-11-02", "day_to": "2026-11-15"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["客户经理", "线路", "计划", "完成", "覆盖率(%)"]
    assert rows[1][2:] == ["4", "2", "50.0", "6", "1", "1", "0", "0.0", "8.0"]
    export = CoverageExport.objects.get()
    assert (export.user, export.row_count, export.filters) == (
        supervisor_a,
        1,
        {"day_from": "2026-11-02", "day_to": "2026-11-15"},
    )

    assert client_for(manager_a).get("/visits/coverage/export/").status_code == 403
    assert client_for(manager_a).get("/visits/coverage/").status_code == 403
    assert CoverageExport.objects.count() == 1


def test_api_coverage_and_a_backwards_period_is_refused(fortnight, api_client_for, supervisor_a):
    api = api_client_for(supervisor_a)
    body = api.get("/api/v1/visit-coverage/", {"day_from": "2026-11-02", "day_to": "2026-11-15"}).json()
    assert (body["planned"], body["done"], body["coverage_pct"]) == (4, 2, "50.0")
    assert body["rows"][0]["avg_interval_days"] == "8.0"
    assert [(i["visit_days"], i["avg_interval"]) for i in body["intervals"]] == [(2, "10.0"), (3, "6.0")]
    assert (
        api.get("/api/v1/visit-coverage/", {"day_from": "2026-11-15", "day_to": "2026-11-02"}).status_code
        == 400
    )


@pytest.fixture
def two_routes(fortnight, dept_a, manager_a, route_a):
    """manager_a gets a second route; a shop moved from it to route_a mid-period is visited once on each."""
    route_a2 = RouteFactory(code="LC-A02", name="老城乙线", org_unit=dept_a, manager=manager_a)
    s5 = RetailerFactory(route=route_a2)
    plan(s5, D(2026, 11, 2), manager_a, route_a2)
    visit(s5, D(2026, 11, 2), manager_a)
    s5.route = route_a
    s5.save(update_fields=["route"])
    visit(s5, D(2026, 11, 12), manager_a)
    return route_a2, s5


def test_a_row_per_manager_adds_up_the_routes_and_counts_each_shop_once(
    two_routes, supervisor_a, manager_a, route_a
):
    route_a2, _s5 = two_routes
    by_route = coverage(user=supervisor_a, **PERIOD)
    assert [(r.route, r.planned, r.done, r.visits, r.avg_interval_days) for r in by_route] == [
        (route_a, 4, 2, 7, Decimal("8.0")),  # s5's second visit was on route_a: one day there, no interval
        (route_a2, 1, 1, 1, None),
    ]
    (row,) = coverage(user=supervisor_a, **PERIOD, by_route=False)
    assert (row.manager, row.route, row.planned, row.done, row.visits) == (manager_a, None, 5, 3, 8)
    # per manager, s5 is one shop visited on two days (10-day interval): (10 + 6 + 10) ÷ 3
    assert row.avg_interval_days == Decimal("8.7")
    assert coverage(user=supervisor_a, **PERIOD, manager_id=manager_a.pk) == by_route


def test_the_page_lists_managers_and_opens_a_managers_routes(
    two_routes, client_for, supervisor_a, manager_a, manager_b
):
    client = client_for(supervisor_a)
    period = {"day_from": "2026-11-02", "day_to": "2026-11-15"}
    page = client.get("/visits/coverage/", period).content.decode()
    assert f"?manager={manager_a.pk}&amp;day_from=2026-11-02" in page
    assert "LC-A02" not in page  # routes only on demand
    routes = client.get("/visits/coverage/", {**period, "manager": manager_a.pk}).content.decode()
    assert "LC-A01" in routes
    assert "LC-A02" in routes
    assert 'id="coverage-crumbs"' in routes
    # another county's manager is not this supervisor's: the page stays on its managers
    other = client.get("/visits/coverage/", {**period, "manager": manager_b.pk}).content.decode()
    too_big = client.get("/visits/coverage/", {**period, "manager": "99999999999999999999"})
    assert too_big.status_code == 200
    assert 'id="coverage-crumbs"' not in too_big.content.decode()
    assert 'id="coverage-crumbs"' not in other
    assert f"?manager={manager_a.pk}&amp;" in other
    export = client.get("/visits/coverage/export/", {**period, "manager": manager_a.pk})
    assert (
        len(list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))) == 3
    )  # header and two routes
    assert CoverageExport.objects.get().filters["manager"] == manager_a.pk


def test_api_rows_per_manager_and_one_managers_routes(two_routes, api_client_for, supervisor_a, manager_a):
    api = api_client_for(supervisor_a)
    period = {"day_from": "2026-11-02", "day_to": "2026-11-15"}
    by_manager = api.get("/api/v1/visit-coverage/", {**period, "by": "manager"}).json()
    assert [(r["manager"]["id"], r["route"], r["planned"]) for r in by_manager["rows"]] == [
        (manager_a.pk, None, 5)
    ]
    routes = api.get("/api/v1/visit-coverage/", {**period, "manager": manager_a.pk}).json()
    assert [r["route_code"] for r in routes["rows"]] == ["LC-A01", "LC-A02"]
    assert api.get("/api/v1/visit-coverage/", {**period, "by": "shop"}).status_code == 400
    assert api.get("/api/v1/visit-coverage/", {**period, "manager": 2**63}).status_code == 400
