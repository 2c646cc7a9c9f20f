"""Targets' red/amber/green, and alerts: once per crossing, again after recovery and a new crossing."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from cockpit.kpis import KPIS
from cockpit.models import KpiAlert, KpiTarget, Notice, Period
from cockpit.selectors.cockpit import AMBER, GREEN, RED, rag
from cockpit.services.snapshots import kpi_snapshots_refresh
from cockpit.services.targets import kpi_alerts_check, target_save
from sales.models import RetailerPeriodSummary

pytestmark = pytest.mark.django_db


def _target(kpi, value, margin=5):
    return KpiTarget(kpi=kpi, value=Decimal(value), amber_margin_pct=margin)


def test_rag_for_a_rate_where_higher_is_better():
    order_rate = KPIS["order_rate"]
    target = _target("order_rate", "80")  # 80 %, amber within 4 points
    assert rag(order_rate, 0.80, target) == GREEN
    assert rag(order_rate, 0.85, target) == GREEN
    assert rag(order_rate, 0.77, target) == AMBER
    assert rag(order_rate, 0.76, target) == AMBER
    assert rag(order_rate, 0.75, target) == RED
    assert rag(order_rate, None, target) is None
    assert rag(order_rate, 0.5, None) is None


def test_rag_where_lower_is_better_and_money_in_yuan():
    missing = KPIS["missing_manager"]
    assert rag(missing, 10, _target("missing_manager", "10", 20)) == GREEN
    assert rag(missing, 12, _target("missing_manager", "10", 20)) == AMBER
    assert rag(missing, 13, _target("missing_manager", "10", 20)) == RED
    avg_price = KPIS["avg_price"]  # entered in yuan per carton, stored in fen
    assert rag(avg_price, 18_000, _target("avg_price", "180")) == GREEN
    assert rag(avg_price, 17_200, _target("avg_price", "180")) == AMBER
    assert rag(avg_price, 17_000, _target("avg_price", "180")) == RED


def test_a_supervisor_sets_targets_only_in_their_subtree(supervisor_a, county_a, county_b, week):
    data = {"kpi": "order_rate", "period": Period.WEEK, "value": Decimal(80), "starts_on": week}
    target = target_save(actor=supervisor_a, data={**data, "org_unit": county_a})
    assert target.pk
    with pytest.raises(PermissionDenied):
        target_save(actor=supervisor_a, data={**data, "org_unit": county_b})


def test_alert_once_per_crossing(
    shops, supervisor_a, county_a, week, eager_tasks, django_capture_on_commit_callbacks
):
    supervisor_a.email = "zhao@example.cn"
    supervisor_a.save(update_fields=["email"])
    target_save(
        actor=supervisor_a,
        data={
            "org_unit": county_a,
            "kpi": "order_rate",
            "period": Period.WEEK,
            "value": Decimal(80),
            "starts_on": week,
        },
    )
    today = week + datetime.timedelta(days=9)  # judged on `week`, the last complete one
    kpi_snapshots_refresh(period=Period.WEEK, start=week)  # 2 of 3 ordered: 66.7 % < 76 % → red

    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_alerts_check(today=today)["crossed"] == 1
    notices = Notice.objects.filter(recipient=supervisor_a, kind=Notice.Kind.ALERT)
    assert notices.count() == 1
    assert [m.to for m in mail.outbox] == [["zhao@example.cn"]]
    assert "订货率" in mail.outbox[0].subject

    # still red an hour later: nothing new
    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_alerts_check(today=today) == {"crossed": 0, "recovered": 0, "still": 1}
    assert notices.count() == 1
    assert len(mail.outbox) == 1

    # the third shop's order lands: 100 % → out of red, the alert closes, nobody is told
    r3 = shops[2]
    RetailerPeriodSummary.objects.create(
        retailer=r3, period="week", period_start=week, order_count=1, cartons=3, amount_fen=60_000
    )
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    assert kpi_alerts_check(today=today)["recovered"] == 1
    assert KpiAlert.objects.filter(recovered_at__isnull=True).count() == 0
    assert notices.count() == 1

    # and falls again: a new crossing, told again
    RetailerPeriodSummary.objects.filter(retailer=r3).delete()
    kpi_snapshots_refresh(period=Period.WEEK, start=week)
    with django_capture_on_commit_callbacks(execute=True):
        assert kpi_alerts_check(today=today)["crossed"] == 1
    assert notices.count() == 2
    assert len(mail.outbox) == 2
    assert KpiAlert.objects.count() == 2
