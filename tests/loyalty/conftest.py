"""Fixtures for loyalty: five products (one per price class), orders written straight into the order tables
(with their period summaries rebuilt, as an import keeps them), earn rules, levels and a funded account.
Retailers and the org tree come from tests/conftest."""

import datetime
from decimal import Decimal

import pytest

from loyalty.earning.models import EarnRule
from loyalty.ledger.models import PointsEntry
from loyalty.ledger.services import account_lock, credit, programme_get
from loyalty.levels.models import MembershipLevel
from sales.models import Order
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.loyalty.factories import EarnRuleFactory
from tests.sales.factories import OrderFactory, ProductFactory

# code -> (brand, name, wholesale fen, retail fen); price class under the default bands in the comment
PRODUCTS = {
    "ZH": ("中华", "中华（硬）", 37500, 45000),  # class 1
    "HJY": ("黄金叶", "黄金叶（天叶）", 10000, 12000),  # class 2
    "SX": ("双喜", "红双喜（硬）", 6200, 7500),  # class 3
    "BS": ("白沙", "白沙（硬）", 3800, 4500),  # class 4
    "JJ": ("经济", "经济（软）", 1500, 1800),  # class 5
}
CODES = {
    "ZH": "6901028001663",
    "HJY": "6901028100001",
    "SX": "6901028180566",
    "BS": "6901028045901",
    "JJ": "6901028300001",
}
ORDER_DAY = datetime.date(2025, 6, 4)


@pytest.fixture
def products(request):
    """Five products keyed by short name (ZH is class 1 … JJ class 5)."""
    request.getfixturevalue("default_bands")
    return {
        short: ProductFactory(
            code=CODES[short],
            brand=brand,
            name=name,
            wholesale_price_fen=wholesale,
            retail_price_fen=retail,
        )
        for short, (brand, name, wholesale, retail) in PRODUCTS.items()
    }


@pytest.fixture
def place_order(products):
    """place_order(retailer, {"ZH": 2, "SX": 10}, day=ORDER_DAY) -> Order: one order at the products'
    wholesale prices, the retailer's summaries rebuilt."""

    def place(
        retailer, lines: dict[str, int], day: datetime.date = ORDER_DAY, *, rebuild: bool = True
    ) -> Order:
        return OrderFactory(
            retailer=retailer,
            ordered_on=day,
            lines={products[short]: cartons for short, cartons in lines.items()},
            summaries=rebuild,
        )

    return place


@pytest.fixture
def carton_rule(db):
    """1 point per carton for orders from 2025-01-01, level multiplier applies, no cap."""
    return EarnRuleFactory(
        name="按条积分",
        basis=EarnRule.Basis.CARTON,
        points_per_unit=Decimal(1),
        valid_from=datetime.date(2025, 1, 1),
    )


@pytest.fixture
def levels(db):
    """The default levels (migration 0002), put back if a transactional test flushed them."""
    programme_get()
    if not MembershipLevel.objects.exists():
        from importlib import import_module

        from django.apps import apps

        import_module("loyalty.migrations.0002_default_levels").create_defaults(apps, None)
    return {level.code: level for level in MembershipLevel.objects.all()}


@pytest.fixture
def fund():
    """fund(retailer, points, expires_on=None) -> the credit entry: points as one adjustment lot."""

    def give(retailer, points: int, expires_on: datetime.date | None = None) -> PointsEntry:
        from django.db import transaction

        with transaction.atomic():
            account = account_lock(retailer_id=retailer.pk)
            return credit(
                account=account,
                kind=PointsEntry.Kind.ADJUST,
                points=points,
                expires_on=expires_on or datetime.date(2099, 12, 31),
                note="测试入账",
            )

    return give


def balance_of(retailer) -> int:
    from loyalty.ledger.models import PointsAccount

    return PointsAccount.objects.filter(retailer=retailer).values_list("balance", flat=True).first() or 0


@pytest.fixture
def shops(route_a, retailer_a):
    """Three retailers of county A on route LC-A01 (retailer_a and two more)."""
    from tests.accounts.factories import RetailerFactory

    return [retailer_a, RetailerFactory(route=route_a), RetailerFactory(route=route_a)]
