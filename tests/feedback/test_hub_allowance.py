"""The retailer sees its scarce-product allowance on its own hub, and why: its tier, market type and the rule."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sales.allocation.services import allocation_plan_create, allocation_plan_publish
from tests.imports.fixtures import default_bands  # noqa: F401 - fixture
from tests.sales.allocation_cases import RULES
from tests.sales.factories import ScarceProductFactory


def _plan(actor, unit, product, start):
    plan = allocation_plan_create(
        actor=actor,
        product_id=product.pk,
        org_unit_id=unit.pk,
        cycle_start=start,
        supply_cartons=100,
        rules=RULES,
    )
    return allocation_plan_publish(actor=actor, plan=plan, override_reason="")


@pytest.mark.usefixtures("default_bands")
def test_the_hub_shows_the_cycles_allowance_with_the_reason(
    supervisor_a,
    county_a,
    route_a,
    portal_token,
):
    from tests.accounts.factories import RetailerFactory

    shop = RetailerFactory(route=route_a, tier=24, market_type="C")
    other = RetailerFactory(route=route_a, tier=5, market_type="X")
    product = ScarceProductFactory()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    _plan(supervisor_a, county_a, product, monday)

    html = Client().get(reverse("feedback-public:hub", args=[portal_token(shop)])).content.decode()
    assert 'id="hub-allowance"' in html
    assert "黄鹤楼（软蓝）" in html
    assert "档位 24 · 城镇 → 每周 2 条" in html

    # a tier-5 rural shop's rule row gives 0, and the page says so rather than hiding the product
    html = Client().get(reverse("feedback-public:hub", args=[portal_token(other)])).content.decode()
    assert "档位 5 · 乡村 → 每周 0 条" in html


def test_no_plan_no_allowance_card(retailer_a, portal_token):
    html = Client().get(reverse("feedback-public:hub", args=[portal_token(retailer_a)])).content.decode()
    assert 'id="hub-allowance"' not in html
