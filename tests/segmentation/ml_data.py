"""Helpers for the ML tests: products by name and orders of several products at once, written straight into the
order tables with the period summaries rebuilt as an import keeps them."""

import pytest

from sales.models import Product
from tests.sales.factories import OrderFactory, ProductFactory


@pytest.fixture
def make_product(request):
    """make_product(name, status="active", substitute=None, price_fen=10000)."""
    request.getfixturevalue("default_bands")

    def make(name: str, *, status: str = Product.Status.ACTIVE, substitute=None, price_fen: int = 10000):
        return ProductFactory(
            brand=name[:2], name=name, wholesale_price_fen=price_fen, status=status, substitute=substitute
        )

    return make


@pytest.fixture
def buy(db):
    """buy(retailer, day, {product: cartons, ...} or [product, ...], price_fen=None): one order with a line per
    product (1 carton each for a list; the product's wholesale price unless price_fen is given)."""

    def place(retailer, day, products, *, price_fen: int | None = None, rebuild: bool = True):
        quantities = products if isinstance(products, dict) else dict.fromkeys(products, 1)
        return OrderFactory(
            retailer=retailer,
            ordered_on=day,
            lines=quantities,
            price_fen=price_fen or None,
            summaries=rebuild,
        )

    return place
