"""A licence that expires inside the order cycle: the part of the limit for the days before expiry, or none, by the
ALLOCATION_EXPIRING_LICENCE setting, always with the reason."""

import datetime

import pytest

from accounts.models import Retailer
from sales.allocation.selectors import allocation_preview, retailer_allowances
from sales.allocation.services import allocation_plan_create, allocation_plan_publish
from tests.accounts.factories import RetailerFactory
from tests.sales.allocation_cases import MONDAY, WED

RULES = [{"tier_from": 1, "tier_to": 30, "market_type": "C", "cartons": 7}]


@pytest.fixture
def shops(route_a):
    full = RetailerFactory(route=route_a, tier=20, market_type="C")
    expiring = RetailerFactory(route=route_a, tier=20, market_type="C")
    last_day = RetailerFactory(route=route_a, tier=20, market_type="C")
    issued = datetime.date(2020, 5, 1)
    # valid through Wednesday: 3 of the cycle's 7 days; the other through Sunday, the cycle's last day
    Retailer.objects.filter(pk=expiring.pk).update(licence_issued_on=issued, licence_expires_on=WED)
    Retailer.objects.filter(pk=last_day.pk).update(
        licence_issued_on=issued, licence_expires_on=MONDAY + datetime.timedelta(days=6)
    )
    return full, expiring, last_day


def _publish(supervisor_a, county_a, scarce):
    plan = allocation_plan_create(
        actor=supervisor_a,
        product_id=scarce.pk,
        org_unit_id=county_a.pk,
        cycle_start=MONDAY,
        supply_cartons=100,
        rules=RULES,
    )
    return allocation_plan_publish(actor=supervisor_a, plan=plan)


@pytest.mark.parametrize(
    ("mode", "cartons", "text"),
    [
        ("prorate", 3, "档位 20 · 城镇，许可证在周期内到期，只按到期前的天数 → 3 条"),
        ("none", 0, "许可证在周期内到期 → 0 条"),
    ],
)
def test_a_licence_expiring_mid_cycle_gets_the_allowance_the_setting_gives(
    settings, shops, supervisor_a, county_a, scarce, mode, cartons, text
):
    settings.ALLOCATION_EXPIRING_LICENCE = mode
    full, expiring, last_day = shops

    plan = _publish(supervisor_a, county_a, scarce)

    allowances = retailer_allowances(retailer_ids=[full.pk, expiring.pk, last_day.pk], day=WED)
    [a_full], [a_expiring], [a_last] = (allowances[r.pk] for r in (full, expiring, last_day))
    assert (a_full.cartons, a_full.reason) == (7, "ok")
    assert (a_last.cartons, a_last.reason) == (7, "ok")  # valid through the cycle's last day
    assert (a_expiring.cartons, a_expiring.reason) == (cartons, "expires_in_cycle")
    assert a_expiring.explanation == text
    preview = allocation_preview(plan=plan)
    assert preview["total"] == 14 + cartons == plan.total_allowance
    assert {b["reason"]: (b["retailers"], b["cartons"]) for b in preview["blocked"]} == {
        "expires_in_cycle": (1, cartons)
    }
