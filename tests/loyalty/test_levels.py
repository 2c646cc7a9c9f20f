"""Membership levels: thresholds on the rolling window's amount or order count, history, events, idempotent."""

import datetime

import pytest

from loyalty.ledger.models import PointsAccount
from loyalty.ledger.services import programme_get
from loyalty.levels.models import LevelChange
from loyalty.levels.services import level_recompute, level_window_start
from loyalty.models import LoyaltyEvent
from loyalty.selectors import level_progress

AS_OF = datetime.date(2025, 6, 18)


def level_of(retailer) -> str | None:
    account = PointsAccount.objects.select_related("level").filter(retailer=retailer).first()
    return account.level.code if account and account.level else None


def test_the_window_is_the_current_month_and_the_eleven_before():
    assert level_window_start(as_of=AS_OF, months=12) == datetime.date(2024, 7, 1)
    assert level_window_start(as_of=datetime.date(2025, 1, 31), months=1) == datetime.date(2025, 1, 1)


def test_levels_by_amount_over_the_window(shops, place_order, levels):
    bronze, silver, gold = shops
    place_order(bronze, {"SX": 10}, day=datetime.date(2025, 6, 2))
    place_order(silver, {"ZH": 100}, day=datetime.date(2024, 7, 1))  # 37,500 yuan, first day in the window
    place_order(silver, {"ZH": 40}, day=datetime.date(2025, 6, 2))  # + 15,000 = 52,500 ≥ 5万
    place_order(gold, {"ZH": 400}, day=datetime.date(2024, 6, 30))  # outside the window: does not count
    place_order(gold, {"ZH": 400}, day=datetime.date(2025, 3, 3))  # 150,000 ≥ 15万

    result = level_recompute(as_of=AS_OF)

    assert (level_of(bronze), level_of(silver), level_of(gold)) == ("bronze", "silver", "gold")
    assert result == {"accounts": 3, "changed": 3}
    account = PointsAccount.objects.get(retailer=silver)
    assert (account.rolling_amount_fen, account.rolling_orders) == (5_250_000, 2)
    assert account.level_since == AS_OF


def test_levels_by_order_count(shops, place_order, levels):
    programme = programme_get()
    programme.level_basis = "orders"
    programme.save()
    busy, _b, _c = shops
    for week in range(26):
        place_order(
            busy, {"JJ": 1}, day=datetime.date(2025, 6, 16) - datetime.timedelta(weeks=week), rebuild=False
        )
    from sales.services import period_summaries_rebuild

    period_summaries_rebuild(retailer_ids=[busy.pk])

    level_recompute(as_of=AS_OF)

    assert level_of(busy) == "silver"  # 26 orders, 390 yuan


def test_a_change_is_kept_in_history_raised_once_and_a_rerun_changes_nothing(retailer_a, place_order, levels):
    place_order(retailer_a, {"ZH": 150}, day=datetime.date(2025, 6, 2))
    level_recompute(as_of=AS_OF)
    level_recompute(as_of=AS_OF)

    assert list(LevelChange.objects.values_list("from_level__code", "to_level__code")) == [(None, "silver")]
    events = LoyaltyEvent.objects.filter(kind="level_changed")
    assert [(e.retailer_id, e.detail) for e in events] == [
        (retailer_a.pk, {"from": None, "to": "silver", "up": True})
    ]

    # a year later the purchases have left the window: back to bronze
    level_recompute(as_of=datetime.date(2026, 6, 18))
    assert level_of(retailer_a) == "bronze"
    assert LevelChange.objects.count() == 2
    assert LoyaltyEvent.objects.filter(kind="level_changed").latest("id").detail["up"] is False


def test_progress_to_the_next_level(retailer_a, place_order, levels):
    place_order(retailer_a, {"ZH": 100}, day=datetime.date(2025, 6, 2))  # 37,500 yuan: bronze
    level_recompute(as_of=AS_OF)

    progress = level_progress(account=PointsAccount.objects.get(retailer=retailer_a))

    assert progress.next_level.code == "silver"
    assert progress.amount_needed_fen == 5_000_000 - 3_750_000
    assert progress.percent == 75


@pytest.mark.parametrize(("basis", "expected"), [("either", "silver"), ("both", "bronze")])
def test_either_or_both_thresholds(retailer_a, place_order, levels, basis, expected):
    programme = programme_get()
    programme.level_basis = basis
    programme.save()
    place_order(retailer_a, {"ZH": 150}, day=datetime.date(2025, 6, 2))  # 56,250 yuan but one order

    level_recompute(as_of=AS_OF)

    assert level_of(retailer_a) == expected
