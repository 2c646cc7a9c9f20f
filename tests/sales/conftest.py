"""Fixtures for products, orders and period summaries. Retailers and the org tree come from tests/conftest."""

import pytest

from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.sales.allocation_cases import county, draft, scarce  # noqa: F401 - fixtures
from tests.sales.factories import ProductFactory


@pytest.fixture(autouse=True)
def bands_in_place(request):
    """Every sales test runs with the default price-class bands of migration 0002."""
    return request.getfixturevalue("default_bands")


# (code, brand, name, wholesale fen, retail fen) -> price class under the default bands
PRODUCTS = {
    "6901028001663": ("中华", "中华（硬）", 37500, 45000),  # class 1 (>= 130 元)
    "6901028100001": ("黄金叶", "黄金叶（天叶）", 10000, 12000),  # class 2 (90–130 元)
    "6901028180566": ("双喜", "红双喜（硬）", 6200, 7500),  # class 3 (40–90 元)
    "6901028045901": ("白沙", "白沙（硬）", 3800, 4500),  # class 4 (20–40 元)
    "6901028300001": ("经济", "经济（软）", 1500, 1800),  # class 5 (< 20 元)
}


@pytest.fixture
def products(db, bands_in_place):
    """Five products, one in each price class, keyed by code."""
    return {
        code: ProductFactory(
            code=code,
            brand=brand,
            name=name,
            wholesale_price_fen=wholesale,
            retail_price_fen=retail,
        )
        for code, (brand, name, wholesale, retail) in PRODUCTS.items()
    }


@pytest.fixture
def shops(route_a, retailer_a):
    """Three retailers of county A on route LC-A01 (retailer_a and two more)."""
    from tests.accounts.factories import RetailerFactory

    return [retailer_a, RetailerFactory(route=route_a), RetailerFactory(route=route_a)]
