"""KPI arithmetic on hand-built data: each figure, its roll-up to county and company, and per manager."""

import datetime

import pytest
from django.utils import timezone

from cockpit.models import KpiSnapshot, Period
from cockpit.selectors.cockpit import cockpit_get
from cockpit.selectors.league import league_table
from cockpit.services.snapshots import kpi_snapshots_refresh, kpi_snapshots_refresh_current
from feedback.complaints.models import Complaint
from segmentation.scoring.models import ScoringEvent
from tests.feedback.factories import open_complaint

pytestmark = pytest.mark.django_db


def _value(unit, code, week):
    row = KpiSnapshot.objects.get(org_unit=unit, period="week", period_start=week, kpi=code)
    return row.value


def test_sales_kpis_of_a_week_from_the_summaries(shops, county_a, county_b, company, dept_a, week):
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=True)
    assert _value(county_a, "active", week) == 3
    assert _value(county_a, "order_rate", week) == pytest.approx(2 / 3)
    assert _value(county_a, "cartons", week) == 40
    assert _value(county_a, "amount", week) == 650_000
    assert _value(county_a, "avg_price", week) == pytest.approx(650_000 / 40)  # 单条值 ¥162.5
    assert _value(county_b, "order_rate", week) == 0
    # a county holds its departments, the company every county
    assert _value(dept_a, "amount", week) == 650_000
    assert _value(company, "active", week) == 4
    assert _value(company, "order_rate", week) == pytest.approx(2 / 4)


def test_data_quality_and_points(shops, county_a, week):
    from loyalty.ledger.models import PointsAccount

    r1, _r2, r3, _r4 = shops
    PointsAccount.objects.create(retailer=r1, balance=700)
    PointsAccount.objects.create(retailer=r3, balance=300)
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=True)
    assert _value(county_a, "missing_manager", week) == 1
    assert _value(county_a, "missing_location", week) == 3  # the factory sets no coordinates
    assert _value(county_a, "missing_consent", week) == 2  # r1 consented
    assert _value(county_a, "points_liability", week) == 1000


def test_lifecycle_flow_counts_the_weeks_events(shops, county_a, county_b, week):
    r1, r2, _r3, r4 = shops
    at = timezone.make_aware(datetime.datetime.combine(week + datetime.timedelta(days=2), datetime.time(3)))
    ScoringEvent.objects.bulk_create(
        [
            ScoringEvent(retailer=r1, kind=ScoringEvent.Kind.BECAME_AT_RISK, at=at),
            ScoringEvent(retailer=r2, kind=ScoringEvent.Kind.BECAME_LOST, at=at),
            ScoringEvent(retailer=r4, kind=ScoringEvent.Kind.REACTIVATED, at=at),
            # the week before: not this week's flow
            ScoringEvent(
                retailer=r2, kind=ScoringEvent.Kind.BECAME_AT_RISK, at=at - datetime.timedelta(days=7)
            ),
        ]
    )
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    assert _value(county_a, "at_risk", week) == 1
    assert _value(county_a, "lost", week) == 1
    assert _value(county_a, "reactivated", week) == 0
    assert _value(county_b, "reactivated", week) == 1


def test_complaint_attainment_counts_met_over_due(shops, county_a, week, manager_a):
    r1, *_ = shops
    first, second, third = (open_complaint(r1) for _ in range(3))
    opened = timezone.make_aware(
        datetime.datetime.combine(week + datetime.timedelta(days=1), datetime.time(9))
    )
    due = opened + datetime.timedelta(hours=4)
    Complaint.objects.filter(pk__in=[first.pk, second.pk, third.pk]).update(
        opened_at=opened, response_due=due, resolution_due=due + datetime.timedelta(days=2)
    )
    Complaint.objects.filter(pk=first.pk).update(responded_at=due - datetime.timedelta(hours=1))  # in time
    Complaint.objects.filter(pk=second.pk).update(responded_at=due + datetime.timedelta(hours=1))  # late
    # the third was never answered and its deadline has passed: it counts as missed
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    assert _value(county_a, "response_rate", week) == pytest.approx(1 / 3)


def test_the_cockpit_reads_value_previous_and_trend(shops, county_a, week):
    kpi_snapshots_refresh_current(today=week + datetime.timedelta(days=8))
    cockpit = cockpit_get(unit=county_a, period=Period.WEEK, start=week)
    amount = cockpit.card("amount")
    assert amount.value == 650_000
    assert amount.previous == 100_000
    assert amount.change == 550.0  # percent
    assert len(amount.trend) == 12
    assert amount.trend[-1] == 650_000
    assert amount.shown == "¥6,500"
    assert cockpit.card("avg_price").shown == "¥162.5"
    assert cockpit.card("order_rate").shown == "66.7%"
    # the list behind a number carries the unit and the period
    assert f"org_unit={county_a.pk}" in cockpit.card("order_rate").url
    assert "show=not_ordered" in cockpit.card("order_rate").url


def test_league_tables_rank_departments_and_managers(
    shops, company, county_a, county_b, manager_a, manager_b, week
):
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    counties = league_table(unit=company, by="unit", period=Period.WEEK, start=week)
    assert [row.name for row in counties] == [county_a.name, county_b.name]  # 66.7% before 0%
    assert counties[0].cells[0][0] == "66.7%"
    managers = league_table(unit=company, by="manager", period=Period.WEEK, start=week)
    assert [row.key for row in managers] == [manager_a.pk, manager_b.pk]
    only_a = league_table(unit=county_a, by="manager", period=Period.WEEK, start=week)
    assert [row.key for row in only_a] == [manager_a.pk]


def test_a_past_week_keeps_its_state_kpis(shops, county_a, week):
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=True)
    from accounts.models import Retailer

    Retailer.objects.filter(pk=shops[0].pk).update(status="closed")
    # refreshed later as a past week: sales are recomputed, the recorded count of active shops stays
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=False)
    assert _value(county_a, "active", week) == 3
