"""A hand-built tier case shared by the card, what-if and appeal tests: four shops of route A graded for May 2025
with weights 50/30/20 and one retailer per tier from 30 down.

    shop  cartons  price   amount    pct c / a / p      score
    A     40       100 元  4,000 元  1   2/3  0         50 + 20 + 0         = 70.0000  → tier 29
    B     30       200 元  6,000 元  2/3 1    1         33.3333 + 30 + 20   = 83.3333  → tier 30
    C     20       150 元  3,000 元  1/3 1/3  2/3       16.6667 + 10 + 13.3333 = 40.0000 → tier 28
    D     10       100 元  1,000 元  0   0    0         0                   → tier 27
(A and D share the lowest average price, so both have percent_rank 0 on it.)"""

import datetime

import pytest

from segmentation.tiers.models import TierRule
from segmentation.tiers.services import tier_proposal_create, tier_proposal_publish
from tests.accounts.factories import RetailerFactory

MAY_END = datetime.date(2025, 5, 31)
OLD_ORDER = datetime.date(2024, 1, 10)
SHOPS = {"A": (40, 10000), "B": (30, 20000), "C": (20, 15000), "D": (10, 10000)}


def top_shares(*parts: int) -> list[int]:
    shares = [0] * 30
    for i, part in enumerate(parts):
        shares[29 - i] = part
    return shares


@pytest.fixture
def tier_rule(db):
    return TierRule.objects.create(
        weight_cartons=50, weight_amount=30, weight_avg_price=20, tier_shares=top_shares(1, 1, 1, 1)
    )


@pytest.fixture
def four_shops(tier_rule, route_a, place_orders):
    shops = {}
    for name, (cartons, price) in SHOPS.items():
        retailer = RetailerFactory(route=route_a, tier=10, shop_name=f"档位测试{name}")
        place_orders(retailer, [(OLD_ORDER, 1), (datetime.date(2025, 5, 6), cartons)], price_fen=price)
        shops[name] = retailer
    return shops


@pytest.fixture
def published(four_shops, supervisor_a):
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    return tier_proposal_publish(user=supervisor_a, proposal_id=proposal.pk)
