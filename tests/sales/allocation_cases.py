"""The hand-built allocation case shared by the allocation tests: a scarce product, six shops of county A of known
tiers, market types and licence states, and a draft plan for the week of MONDAY."""

import datetime

import pytest

from accounts.models import Retailer
from sales.allocation.services import allocation_plan_create
from tests.accounts.factories import RetailerFactory
from tests.sales.factories import ScarceProductFactory

MONDAY = datetime.date(2025, 4, 28)
WED = datetime.date(2025, 4, 30)
FRI = datetime.date(2025, 5, 2)
RULES = [
    {"tier_from": 20, "tier_to": 30, "market_type": "C", "cartons": 2},
    {"tier_from": 10, "tier_to": 19, "market_type": "C", "cartons": 1},
    {"tier_from": 20, "tier_to": 30, "market_type": "X", "cartons": 1},
    {"tier_from": 1, "tier_to": 19, "market_type": "X", "cartons": 0},
]


@pytest.fixture
def scarce(db, bands_in_place):
    return ScarceProductFactory()


@pytest.fixture
def county(route_a, retailer_b):
    """Six shops of county A (plus retailer_b in county B, outside every plan below)."""
    shops = {
        "town24": RetailerFactory(route=route_a, tier=24, market_type="C"),
        "rural24": RetailerFactory(route=route_a, tier=24, market_type="X"),
        "town10": RetailerFactory(route=route_a, tier=10, market_type="C"),
        "town5": RetailerFactory(route=route_a, tier=5, market_type="C"),
        "suspended": RetailerFactory(route=route_a, tier=28, market_type="C"),
        "expired": RetailerFactory(route=route_a, tier=26, market_type="C"),
    }
    Retailer.objects.filter(pk=shops["suspended"].pk).update(licence_status="suspended")
    Retailer.objects.filter(pk=shops["expired"].pk).update(
        licence_issued_on=datetime.date(2020, 4, 1), licence_expires_on=MONDAY - datetime.timedelta(days=1)
    )
    return shops


@pytest.fixture
def draft(supervisor_a, county_a, scarce, county):
    return allocation_plan_create(
        actor=supervisor_a,
        product_id=scarce.pk,
        org_unit_id=county_a.pk,
        cycle_start=MONDAY,
        supply_cartons=3,
        rules=RULES,
    )
