"""Rewards: redemption takes the points and the stock at once; approve, deliver; cancelling refunds once;
levels and dates limit who may redeem what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from core.errors import ConflictError
from loyalty.ledger.models import PointsEntry
from loyalty.levels.services import level_recompute
from loyalty.rewards.models import Redemption
from loyalty.rewards.services import redemption_approve, redemption_cancel, redemption_deliver, reward_redeem
from loyalty.selectors import ledger_discrepancies, rewards_for
from tests.loyalty.conftest import balance_of
from tests.loyalty.factories import RewardFactory


@pytest.fixture
def lamp(db):
    return RewardFactory(name="烟柜灯箱", kind="goods", points_price=300, stock=5)


def test_a_redemption_takes_the_points_and_the_stock(retailer_a, manager_a, fund, lamp):
    fund(retailer_a, 1000)

    redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, quantity=2, user=manager_a)

    assert (redemption.points, redemption.status, redemption.requested_by) == (600, "requested", manager_a)
    assert redemption.entry.points == -600
    assert balance_of(retailer_a) == 400
    lamp.refresh_from_db()
    assert lamp.stock == 3


def test_out_of_stock_and_short_of_points_are_refused_without_effect(retailer_a, manager_a, fund, lamp):
    fund(retailer_a, 1000)
    with pytest.raises(ConflictError, match="库存不足"):
        reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, quantity=6, user=manager_a)
    with pytest.raises(ConflictError, match="积分不足"):
        reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, quantity=4, user=manager_a)

    lamp.refresh_from_db()
    assert (lamp.stock, balance_of(retailer_a), Redemption.objects.count()) == (5, 1000, 0)


def test_cancelling_refunds_the_points_once_and_restores_the_stock(
    retailer_a, manager_a, supervisor_a, fund, lamp
):
    lot = fund(retailer_a, 1000, datetime.date(2027, 12, 31))
    redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=manager_a)

    redemption_cancel(redemption_id=redemption.pk, user=supervisor_a, reason="客户改主意")
    with pytest.raises(ConflictError, match="不能取消"):
        redemption_cancel(redemption_id=redemption.pk, user=supervisor_a)

    redemption.refresh_from_db()
    assert redemption.status == "cancelled"
    assert redemption.refund_entry.points == 300
    assert redemption.refund_entry.reverses_id == redemption.entry_id
    assert redemption.refund_entry.expires_on == lot.expires_on  # the refund keeps the points' expiry date
    assert balance_of(retailer_a) == 1000
    lamp.refresh_from_db()
    assert lamp.stock == 5
    assert ledger_discrepancies() == []


def test_a_refund_of_points_whose_date_has_passed_gets_the_grace_days(
    retailer_a, manager_a, supervisor_a, fund, lamp
):
    today = timezone.localdate()
    fund(retailer_a, 300, today)  # last valid day
    redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=manager_a)

    refund = redemption_cancel(redemption_id=redemption.pk, user=supervisor_a).refund_entry

    assert refund.expires_on == today + datetime.timedelta(days=30)


def test_the_flow_requested_approved_delivered(retailer_a, manager_a, supervisor_a, fund, lamp):
    fund(retailer_a, 300)
    redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=manager_a)

    with pytest.raises(PermissionDenied):
        redemption_approve(redemption_id=redemption.pk, user=manager_a)
    redemption_approve(redemption_id=redemption.pk, user=supervisor_a)
    with pytest.raises(PermissionDenied):
        redemption_cancel(
            redemption_id=redemption.pk, user=manager_a
        )  # a manager cancels only while requested
    delivered = redemption_deliver(redemption_id=redemption.pk, user=supervisor_a)

    assert delivered.status == "delivered"
    assert delivered.delivered_at
    assert delivered.approved_at
    with pytest.raises(ConflictError, match="不能取消"):
        redemption_cancel(redemption_id=redemption.pk, user=supervisor_a)
    assert balance_of(retailer_a) == 0


def test_the_manager_who_asked_may_cancel_a_request(retailer_a, manager_a, fund, lamp):
    fund(retailer_a, 300)
    redemption = reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=manager_a)

    redemption_cancel(redemption_id=redemption.pk, user=manager_a)

    assert balance_of(retailer_a) == 300


def test_rewards_for_some_levels_and_dates_only(retailer_a, manager_a, fund, levels, place_order):
    gold_only = RewardFactory(name="金卡专享礼盒", points_price=100)
    gold_only.levels.set([levels["gold"], levels["diamond"]])
    ended = RewardFactory(
        name="春节礼包", points_price=100, valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    fund(retailer_a, 1000)

    with pytest.raises(ConflictError, match="仅限 金卡、钻石"):
        reward_redeem(retailer_id=retailer_a.pk, reward_id=gold_only.pk, user=manager_a)
    with pytest.raises(ConflictError, match="已过兑换期"):
        reward_redeem(retailer_id=retailer_a.pk, reward_id=ended.pk, user=manager_a)

    place_order(retailer_a, {"ZH": 500}, day=timezone.localdate())  # 187,500 yuan in the window: 金卡
    level_recompute()
    reward_redeem(retailer_id=retailer_a.pk, reward_id=gold_only.pk, user=manager_a)

    catalog = {row["reward"].name: row for row in rewards_for(account=retailer_a.points_account)}
    assert catalog["金卡专享礼盒"]["may_redeem"] is True
    assert catalog["春节礼包"]["refusal"] == "该礼品已过兑换期。"


def test_a_customer_manager_needs_the_permission_to_redeem(retailer_a, fund, lamp):
    from tests.users.factories import UserFactory

    nobody = UserFactory(role="manager")
    nobody.role = "none"
    fund(retailer_a, 300)

    with pytest.raises(PermissionDenied):
        reward_redeem(retailer_id=retailer_a.pk, reward_id=lamp.pk, user=nobody)
    assert PointsEntry.objects.filter(kind="redeem").count() == 0
