"""Fixtures for field work: products of known price classes, orders written straight into the order tables,
segmentation scores, the visit policy and a helper that records a visit through the service. Retailers and the org
tree come from tests/conftest (retailer_a on manager_a's route in county A, retailer_b on manager_b's)."""

import datetime
import uuid

import pytest
from django.utils import timezone

from sales.models import Order
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.sales.factories import OrderFactory, ProductFactory
from tests.segmentation.factories import RetailerScoreFactory, ScoringRunFactory
from visits.records.services import VisitInput, visit_record

# code -> (brand, name, wholesale fen, retail fen); price class under the default bands in the comment
PRODUCTS = {
    "HJY": ("黄金叶", "黄金叶（天叶）", 10000, 12000),  # class 2
    "YX": ("玉溪", "玉溪（软）", 11000, 13000),  # class 2
    "SX": ("双喜", "红双喜（硬）", 6200, 7500),  # class 3
}


@pytest.fixture
def products(request):
    request.getfixturevalue("default_bands")
    return {
        short: ProductFactory(
            code=f"69010{i:08d}",
            brand=brand,
            name=name,
            wholesale_price_fen=wholesale,
            retail_price_fen=retail,
        )
        for i, (short, (brand, name, wholesale, retail)) in enumerate(PRODUCTS.items())
    }


@pytest.fixture
def place_order(products):
    """place_order(retailer, {"HJY": 2}, day) -> Order, at the products' wholesale prices."""

    def place(retailer, lines: dict[str, int], day: datetime.date) -> Order:
        return OrderFactory(
            retailer=retailer,
            ordered_on=day,
            lines={products[short]: cartons for short, cartons in lines.items()},
            summaries=False,  # field work reads the orders themselves
        )

    return place


@pytest.fixture
def give_score(db):
    """give_score(retailer, value_class=…, lifecycle=…, churn_probability=…): the retailer's RetailerScore row."""
    run = ScoringRunFactory()

    def give(retailer, **fields):
        return RetailerScoreFactory(retailer=retailer, run=run, **fields)

    return give


@pytest.fixture
def record(db):
    """record(manager, retailer, days_ago=0, **VisitInput fields) -> Visit, checked in `days_ago` days ago at noon
    (or now) with no location unless given."""

    def do(manager, retailer, *, days_ago: int = 0, key=None, photos=(), **fields):
        if days_ago:
            fields.setdefault("checked_in_at", timezone.now() - datetime.timedelta(hours=1))
        if "latitude" not in fields:
            fields.setdefault("no_location_reason", "室内无信号")
        visit, _created = visit_record(
            actor=manager,
            retailer=retailer,
            idempotency_key=key or uuid.uuid4(),
            data=VisitInput(**fields),
            photos=photos,
        )
        if days_ago:
            # the service takes check-ins from the last 24 hours only; older history is set up directly
            day = timezone.localdate() - datetime.timedelta(days=days_ago)
            type(visit).objects.filter(pk=visit.pk).update(visited_on=day)
            visit.visited_on = day
        return visit

    return do


@pytest.fixture
def complaint_categories(db):
    """The complaint categories feedback's data migration seeds. A transactional test elsewhere in the run flushes
    every table (data migrations are not replayed), so put them back with the migration's own function."""
    from importlib import import_module

    from django.apps import apps

    import_module("feedback.migrations.0002_default_categories").seed(apps, None)
