"""Fixtures for scoring: one product and a helper that writes orders straight into the order tables, then
rebuilds the period summaries as an import would have kept them."""

import datetime
import itertools

import pytest

from sales.models import Order, OrderLine
from sales.services import period_summaries_rebuild, product_create
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.segmentation.ml_data import buy, make_product  # noqa: F401 - fixtures

AS_OF = datetime.date(2025, 6, 4)  # a Wednesday; its week starts Monday 2025-06-02
THIS_WEEK = datetime.date(2025, 6, 2)
_numbers = itertools.count(1)


def weeks_ago(n: int, weekday: int = 0) -> datetime.date:
    """The given weekday (0 = Monday) of the week `n` weeks before the week of AS_OF."""
    return THIS_WEEK - datetime.timedelta(weeks=n) + datetime.timedelta(days=weekday)


@pytest.fixture
def product(request):
    request.getfixturevalue("default_bands")  # the bands migration sales 0002 creates
    return product_create(
        data={
            "code": "6901028180566",
            "brand": "双喜",
            "name": "红双喜（硬）",
            "wholesale_price_fen": 10000,
            "retail_price_fen": 12000,
        }
    )


@pytest.fixture
def place_orders(product):
    """place_orders(retailer, [(day, cartons), ...], price_fen=10000): orders with one line each, then the
    retailer's summaries rebuilt."""

    def place(retailer, orders, price_fen: int = 10000):
        for day, cartons in orders:
            order = Order.objects.create(
                order_no=f"SEG{next(_numbers):08d}",
                retailer=retailer,
                ordered_on=day,
                cartons=cartons,
                amount_fen=cartons * price_fen,
            )
            OrderLine.objects.create(
                order=order,
                product=product,
                cartons=cartons,
                unit_price_fen=price_fen,
                amount_fen=cartons * price_fen,
            )
        period_summaries_rebuild(retailer_ids=[retailer.pk])

    return place


@pytest.fixture
def score_now():
    """Start and execute a run as of AS_OF (or the given day); returns the finished run."""
    from segmentation.services import scoring_run_execute, scoring_run_start

    def run(as_of=AS_OF, **kwargs):
        started = scoring_run_start(as_of=as_of, **kwargs)
        return scoring_run_execute(run_id=started.pk)

    return run
