"""Helpers for the ML tests: products by name and orders of several products at once, written straight into the
order tables with the period summaries rebuilt as an import keeps them."""

import itertools

import pytest

from sales.models import Order, OrderLine, Product
from sales.services import period_summaries_rebuild, product_create

_numbers = itertools.count(1)


@pytest.fixture
def make_product(request):
    """make_product(name, status="active", substitute=None, price_fen=10000)."""
    request.getfixturevalue("default_bands")
    codes = itertools.count(1)

    def make(name: str, *, status: str = Product.Status.ACTIVE, substitute=None, price_fen: int = 10000):
        return product_create(
            data={
                "code": f"69{next(codes):011d}",
                "brand": name[:2],
                "name": name,
                "wholesale_price_fen": price_fen,
                "retail_price_fen": price_fen + 2000,
                "status": status,
                "substitute": substitute,
            }
        )

    return make


@pytest.fixture
def buy(db):
    """buy(retailer, day, {product: cartons, ...} or [product, ...], price_fen=None): one order with a line per
    product (1 carton each for a list; the product's wholesale price unless price_fen is given)."""

    def place(retailer, day, products, *, price_fen: int | None = None, rebuild: bool = True):
        quantities = products if isinstance(products, dict) else dict.fromkeys(products, 1)
        lines = [
            (product, cartons, price_fen or product.wholesale_price_fen)
            for product, cartons in quantities.items()
        ]
        order = Order.objects.create(
            order_no=f"ML{next(_numbers):08d}",
            retailer=retailer,
            ordered_on=day,
            cartons=sum(c for _p, c, _f in lines),
            amount_fen=sum(c * f for _p, c, f in lines),
        )
        OrderLine.objects.bulk_create(
            OrderLine(order=order, product=p, cartons=c, unit_price_fen=f, amount_fen=c * f)
            for p, c, f in lines
        )
        if rebuild:
            period_summaries_rebuild(retailer_ids=[retailer.pk])
        return order

    return place
