"""Fixtures for scoring: one product and a helper that writes orders straight into the order tables, then
rebuilds the period summaries as an import would have kept them."""

import datetime

import pytest

from sales.services import period_summaries_rebuild
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.sales.factories import OrderFactory, ProductFactory
from tests.segmentation.factories import RetailerScoreFactory, ScoringRunFactory
from tests.segmentation.ml_data import buy, make_product  # noqa: F401 - fixtures

AS_OF = datetime.date(2025, 6, 4)  # a Wednesday; its week starts Monday 2025-06-02
THIS_WEEK = datetime.date(2025, 6, 2)


def weeks_ago(n: int, weekday: int = 0) -> datetime.date:
    """The given weekday (0 = Monday) of the week `n` weeks before the week of AS_OF."""
    return THIS_WEEK - datetime.timedelta(weeks=n) + datetime.timedelta(days=weekday)


@pytest.fixture
def product(request):
    request.getfixturevalue("default_bands")  # the bands migration sales 0002 creates
    return ProductFactory(
        code="6901028180566",
        brand="双喜",
        name="红双喜（硬）",
    )


@pytest.fixture
def place_orders(product):
    """place_orders(retailer, [(day, cartons), ...], price_fen=10000): orders with one line each, then the
    retailer's summaries rebuilt."""

    def place(retailer, orders, price_fen: int = 10000):
        for day, cartons in orders:
            OrderFactory(
                retailer=retailer,
                ordered_on=day,
                lines={product: cartons},
                price_fen=price_fen,
                summaries=False,
            )
        period_summaries_rebuild(retailer_ids=[retailer.pk])

    return place


@pytest.fixture
def score_now():
    """Start and execute a run as of AS_OF (or the given day); returns the finished run."""
    from segmentation.scoring.services import scoring_run_execute, scoring_run_start

    def run(as_of=AS_OF, **kwargs):
        started = scoring_run_start(as_of=as_of, **kwargs)
        return scoring_run_execute(run_id=started.pk)

    return run


# ---- saved segments: five shops, two territories -------------------------------------------------------------
#   county_a ── dept_a ── route_a (manager_a): s1, s2, s3
#   county_b ── dept_b ── route_b (manager_b): s4, s5
# Orders are dated from the real today (segments evaluate "the last N days" against it).


@pytest.fixture
def scored_run(db):
    return ScoringRunFactory()


@pytest.fixture
def give_score(scored_run):
    """give_score(retailer, lifecycle=…, …): a RetailerScore row with the given classes and measures."""

    def give(retailer, **fields):
        return RetailerScoreFactory(retailer=retailer, run=scored_run, **fields)

    return give


@pytest.fixture
def brands(request):
    """Two products of 双喜 and one of 中华."""
    request.getfixturevalue("default_bands")
    return {
        code: ProductFactory(
            code=code,
            brand=brand,
            name=name,
        )
        for code, brand, name in (
            ("6901028180566", "双喜", "红双喜（硬）"),
            ("6901028180567", "双喜", "红双喜（软）"),
            ("6901028075022", "中华", "中华（硬）"),
        )
    }


@pytest.fixture
def buy_days_ago():
    """buy_days_ago(retailer, product, days_ago, cartons, price_fen=10000): one order of one line, summaries rebuilt."""
    from django.utils import timezone

    def order(retailer, product, days_ago, cartons, price_fen=10000):
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        OrderFactory(retailer=retailer, ordered_on=day, lines={product: cartons}, price_fen=price_fen)

    return order


@pytest.fixture
def shops(route_a, route_b, give_score, brands, buy_days_ago):
    """Five shops with known fields, scores and purchases (see each comment)."""
    from django.utils import timezone

    from accounts.models import Retailer
    from segmentation.scoring.models import RetailerScore
    from tests.accounts.factories import RetailerFactory, licence_for

    today = timezone.localdate()
    fmt = Retailer.BusinessFormat
    stage = RetailerScore.Lifecycle
    s1 = RetailerFactory(route=route_a, shop_name="老城一号便利店", business_format=fmt.CONVENIENCE, tier=25)
    s2 = RetailerFactory(route=route_a, shop_name="老城二号食杂店", business_format=fmt.GROCERY, tier=20)
    s3 = RetailerFactory(
        route=route_a,
        shop_name="老城三号超市",
        business_format=fmt.SUPERMARKET,
        tier=None,
        licence_no=licence_for(route_a.org_unit, 30003, holder_type="2"),
    )
    s4 = RetailerFactory(
        route=route_b, shop_name="涧西四号烟酒店", business_format=fmt.TOBACCO_LIQUOR, tier=5
    )
    s5 = RetailerFactory(
        route=route_b,
        shop_name="涧西五号便利店",
        business_format=fmt.CONVENIENCE,
        tier=30,
        licence_issued_on=today - datetime.timedelta(days=1000),
        licence_expires_on=today + datetime.timedelta(days=20),
    )
    Retailer.objects.filter(pk__in=[s1.pk, s4.pk]).update(sms_consent=True)
    Retailer.objects.filter(pk=s5.pk).update(created_at=timezone.now() - datetime.timedelta(days=5))
    Retailer.objects.exclude(pk=s5.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    give_score(
        s1, lifecycle=stage.AT_RISK, monetary_fen=500_000, recency_days=30, trend_pct=-40, is_top20=True
    )
    give_score(s2, lifecycle=stage.LOST, monetary_fen=120_050, recency_days=100, r_score=1)
    give_score(s3, lifecycle=stage.ACTIVE, monetary_fen=0, recency_days=None, r_score=5)
    give_score(s4, lifecycle=stage.ACTIVE, monetary_fen=900_000, recency_days=21, r_score=4, is_top20=True)
    # s5 has no score yet
    hard, soft, zhonghua = brands.values()
    buy_days_ago(s1, hard, days_ago=10, cartons=10)
    buy_days_ago(s1, zhonghua, days_ago=200, cartons=5)
    buy_days_ago(s2, zhonghua, days_ago=100, cartons=40)
    buy_days_ago(s4, soft, days_ago=21, cartons=30)
    return [Retailer.objects.get(pk=s.pk) for s in (s1, s2, s3, s4, s5)]


from tests.segmentation.tier_cases import four_shops, published, tier_rule  # noqa: E402, F401 - fixtures
