"""Awarding points on orders: the earn rules on hand-computed orders, exactly once whatever the retries,
re-imports or late arrivals, and the hook that awards what an import lands."""

import datetime
from decimal import Decimal

import pytest

from loyalty.earning.models import EarnMultiplier
from loyalty.earning.services import points_award
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot
from loyalty.levels.services import level_recompute
from loyalty.selectors import ledger_discrepancies
from tests.loyalty.conftest import ORDER_DAY, balance_of
from tests.loyalty.factories import EarnRuleFactory


def earned(order) -> list[tuple[str, int]]:
    return sorted(PointsEntry.objects.filter(order=order, kind="earn").values_list("rule__name", "points"))


def test_one_point_per_carton_over_every_line(retailer_a, place_order, carton_rule):
    order = place_order(retailer_a, {"ZH": 2, "SX": 10, "JJ": 5})

    result = points_award()

    assert result == {"orders": 1, "entries": 1, "points": 17, "accounts": 1}
    assert earned(order) == [("按条积分", 17)]
    assert balance_of(retailer_a) == 17
    assert ledger_discrepancies() == []


def test_per_yuan_rounds_the_order_total_down(retailer_a, place_order):
    EarnRuleFactory(
        name="按金额", basis="yuan", points_per_unit=Decimal("0.1"), valid_from=datetime.date(2025, 1, 1)
    )
    # 2 × 375 + 3 × 62 = 936 yuan → 93.6 → 93
    order = place_order(retailer_a, {"ZH": 2, "SX": 3})

    points_award()

    assert earned(order) == [("按金额", 93)]


def test_the_highest_multiplier_of_a_line_wins_and_multipliers_do_not_stack(
    retailer_a, place_order, carton_rule, products
):
    EarnMultiplier.objects.create(rule=carton_rule, price_class=1, multiplier=Decimal(2))
    EarnMultiplier.objects.create(rule=carton_rule, price_class=2, multiplier=Decimal("1.5"))
    # a brand-cultivation programme: 黄金叶 ×3 in June only
    EarnMultiplier.objects.create(
        rule=carton_rule,
        product=products["HJY"],
        multiplier=Decimal(3),
        valid_from=datetime.date(2025, 6, 1),
        valid_to=datetime.date(2025, 6, 30),
        label="品牌培育·黄金叶",
    )
    june = place_order(retailer_a, {"ZH": 2, "HJY": 4, "SX": 10}, day=datetime.date(2025, 6, 4))
    july = place_order(retailer_a, {"ZH": 2, "HJY": 4, "SX": 10}, day=datetime.date(2025, 7, 2))

    points_award()

    assert earned(june) == [("按条积分", 2 * 2 + 4 * 3 + 10)]  # 26: the programme beats class 2's ×1.5
    assert earned(july) == [("按条积分", 2 * 2 + 6 + 10)]  # 20: after the programme, class 2's ×1.5


def test_the_level_multiplier_and_the_cap_per_order(retailer_a, retailer_b, place_order, levels):
    EarnRuleFactory(
        name="封顶规则",
        basis="carton",
        points_per_unit=Decimal(1),
        valid_from=datetime.date(2025, 1, 1),
        max_points_per_order=50,
    )
    # retailer_a reaches 钻石 (×1.5) by its purchases in the window; retailer_b stays 铜卡
    place_order(retailer_a, {"ZH": 1100}, day=datetime.date(2025, 5, 7))
    level_recompute(as_of=ORDER_DAY)
    small = place_order(retailer_a, {"SX": 21})
    capped = place_order(retailer_b, {"SX": 80})

    points_award(ordered_from=ORDER_DAY)

    assert earned(small) == [("封顶规则", 31)]  # floor(21 × 1.5)
    assert earned(capped) == [("封顶规则", 50)]


def test_one_award_pays_retailers_with_an_account_at_their_level_and_opens_the_others_at_none(
    retailer_a, retailer_b, place_order, carton_rule, levels
):
    # retailer_a reaches 钻石 (×1.5) in the window; retailer_b has never bought, so has no account yet
    place_order(retailer_a, {"ZH": 1100}, day=datetime.date(2025, 5, 7))
    level_recompute(as_of=ORDER_DAY)
    assert not PointsAccount.objects.filter(retailer=retailer_b).exists()
    with_level = place_order(retailer_a, {"SX": 21})
    first_order = place_order(retailer_b, {"SX": 21})

    result = points_award(ordered_from=ORDER_DAY)

    assert result == {"orders": 2, "entries": 2, "points": 31 + 21, "accounts": 2}
    assert earned(with_level) == [("按条积分", 31)]  # floor(21 × 1.5)
    assert earned(first_order) == [("按条积分", 21)]  # a new account has no level: ×1
    assert PointsAccount.objects.get(retailer=retailer_b).balance == 21
    assert PointsLot.objects.filter(entry__order=first_order, remaining=21).count() == 1
    assert ledger_discrepancies() == []


def test_a_rule_applies_only_to_orders_in_its_dates_and_each_rule_earns_separately(
    retailer_a, place_order, carton_rule
):
    EarnRuleFactory(
        name="二季度加赠",
        basis="carton",
        points_per_unit=Decimal("0.5"),
        valid_from=datetime.date(2025, 4, 1),
        valid_to=datetime.date(2025, 6, 30),
        uses_level_multiplier=False,
    )
    EarnRuleFactory(
        name="停用规则",
        basis="carton",
        points_per_unit=Decimal(9),
        valid_from=datetime.date(2025, 1, 1),
        is_active=False,
    )
    in_quarter = place_order(retailer_a, {"SX": 10}, day=datetime.date(2025, 6, 30))
    after = place_order(retailer_a, {"SX": 10}, day=datetime.date(2025, 7, 1))
    before_any = place_order(retailer_a, {"SX": 10}, day=datetime.date(2024, 12, 31))

    points_award()

    assert earned(in_quarter) == [("二季度加赠", 5), ("按条积分", 10)]
    assert earned(after) == [("按条积分", 10)]
    assert earned(before_any) == []


def test_awarding_twice_pays_once(retailer_a, place_order, carton_rule):
    place_order(retailer_a, {"SX": 10})

    first = points_award()
    second = points_award()

    assert first["points"] == 10
    assert second == {"orders": 0, "entries": 0, "points": 0, "accounts": 0}
    assert balance_of(retailer_a) == 10
    assert PointsEntry.objects.count() == PointsLot.objects.count() == 1


def test_a_late_order_is_awarded_by_the_catch_up_and_expires_at_the_end_of_the_next_year(
    retailer_a, place_order, carton_rule
):
    place_order(retailer_a, {"SX": 10}, day=datetime.date(2025, 6, 4))
    points_award()
    late = place_order(retailer_a, {"SX": 7}, day=datetime.date(2025, 3, 12))  # arrives after, dated earlier

    points_award()

    entry = PointsEntry.objects.get(order=late)
    assert entry.points == 7
    assert entry.expires_on == datetime.date(2026, 12, 31)
    assert PointsLot.objects.get(entry=entry).remaining == 7
    assert balance_of(retailer_a) == 17


def test_an_order_without_a_positive_amount_of_points_writes_nothing(retailer_a, place_order):
    EarnRuleFactory(
        name="按金额", basis="yuan", points_per_unit=Decimal("0.001"), valid_from=datetime.date(2025, 1, 1)
    )
    place_order(retailer_a, {"JJ": 1})  # 15 yuan × 0.001 = 0.015 → 0

    assert points_award()["entries"] == 0
    assert PointsEntry.objects.count() == 0


@pytest.fixture
def queued_awards(monkeypatch):
    from loyalty import tasks

    sent = []
    monkeypatch.setattr(tasks.points_award_task, "delay", lambda *args: sent.append(args))
    return sent


def test_an_order_import_enqueues_the_award_of_the_orders_it_created(
    supervisor_a, shops, products, carton_rule, queued_awards, django_capture_on_commit_callbacks
):
    from sales.models import Order
    from tests.imports.helpers import run_import
    from tests.sales.helpers import order_line, orders_csv

    a, b, _c = shops
    lines = [
        order_line("DD001", a.licence_no, ORDER_DAY, products["ZH"].code, 2, 37500),
        order_line("DD001", a.licence_no, ORDER_DAY, products["SX"].code, 10, 6200),
        order_line("DD002", b.licence_no, ORDER_DAY, products["JJ"].code, 5, 1500),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        run_import(user=supervisor_a, kind="orders", content=orders_csv(lines))

    ids = sorted(Order.objects.values_list("id", flat=True))
    assert queued_awards == [(ids[0], ids[-1])]
    from loyalty.tasks import points_award_task

    result = points_award_task.run(*queued_awards[0])
    assert result["points"] == 12 + 5
    assert balance_of(a) == 12


def test_re_importing_an_order_awards_no_new_points(
    supervisor_a, shops, products, carton_rule, queued_awards, django_capture_on_commit_callbacks
):
    from tests.imports.helpers import run_import
    from tests.sales.helpers import order_line, orders_csv

    a, _b, _c = shops
    content = orders_csv([order_line("DD001", a.licence_no, ORDER_DAY, products["SX"].code, 10, 6200)])
    with django_capture_on_commit_callbacks(execute=True):
        run_import(user=supervisor_a, kind="orders", content=content)
    points_award()
    assert balance_of(a) == 10

    with django_capture_on_commit_callbacks(execute=True):
        run_import(user=supervisor_a, kind="orders", content=content)
    points_award()

    assert len(queued_awards) == 1  # the re-import created no order, so it enqueued nothing
    assert balance_of(a) == 10
    assert PointsEntry.objects.filter(kind="earn").count() == 1
