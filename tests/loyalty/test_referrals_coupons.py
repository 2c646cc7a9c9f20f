"""Referrals pay once, after the new shop's first N orders; coupons have unique codes and are used once."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.errors import ConflictError
from loyalty.coupons.models import Coupon
from loyalty.coupons.services import (
    CODE_ALPHABET,
    CODE_LENGTH,
    coupon_batch_issue,
    coupon_redeem,
    coupon_void,
)
from loyalty.earning.services import points_award
from loyalty.ledger.models import PointsEntry
from loyalty.models import LoyaltyEvent
from loyalty.referrals.models import Referral
from loyalty.referrals.services import referral_create, referrals_grant
from tests.accounts.factories import RetailerFactory
from tests.loyalty.conftest import balance_of


@pytest.fixture
def new_shop(route_a):
    """A shop licensed 20 days ago."""
    issued = timezone.localdate() - datetime.timedelta(days=20)
    return RetailerFactory(
        route=route_a, licence_issued_on=issued, licence_expires_on=issued + datetime.timedelta(days=1800)
    )


def test_the_referrer_is_rewarded_once_when_the_new_shops_third_order_lands(
    retailer_a, new_shop, manager_a, place_order, carton_rule
):
    referral = referral_create(referrer=retailer_a, referee=new_shop, user=manager_a)
    assert referral.status == "pending"
    today = timezone.localdate()
    for week in range(2):
        place_order(new_shop, {"SX": 5}, day=today - datetime.timedelta(weeks=2 - week))
    assert referrals_grant() == 0

    place_order(new_shop, {"SX": 5}, day=today)
    assert referrals_grant() == 1
    assert referrals_grant() == 0
    points_award()
    assert referrals_grant() == 0

    referral.refresh_from_db()
    assert referral.status == "rewarded"
    assert referral.entry.kind == "referral"
    assert balance_of(retailer_a) == 500  # the programme's referral points
    assert balance_of(new_shop) == 15  # its own orders' points
    assert PointsEntry.objects.filter(kind="referral").count() == 1
    assert LoyaltyEvent.objects.filter(kind="referral_rewarded", retailer=retailer_a).count() == 1


def test_a_shop_is_referred_once_and_only_if_newly_licensed(retailer_a, retailer_b, new_shop, manager_a):
    referral_create(referrer=retailer_a, referee=new_shop, user=manager_a)

    with pytest.raises(ConflictError, match="已被推荐过"):
        referral_create(referrer=retailer_b, referee=new_shop, user=manager_a)
    with pytest.raises(ValidationError, match="只能推荐新办证的店铺"):
        referral_create(referrer=new_shop, referee=retailer_b, user=manager_a)  # licensed 400 days ago
    with pytest.raises(ValidationError, match="不能推荐自己"):
        referral_create(referrer=new_shop, referee=new_shop, user=manager_a)
    assert Referral.objects.count() == 1


def test_coupons_get_unique_codes_one_per_retailer(shops, supervisor_a):
    batch = coupon_batch_issue(
        name="新品上市抵扣券",
        retailer_ids=[s.pk for s in shops] + [shops[0].pk],
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
        value_fen=2000,
        source="segment:7",
        user=supervisor_a,
    )

    coupons = list(Coupon.objects.filter(batch=batch))
    assert batch.issued_count == len(coupons) == 3
    assert {c.retailer_id for c in coupons} == {s.pk for s in shops}
    assert len({c.code for c in coupons}) == 3
    assert all(len(c.code) == CODE_LENGTH and set(c.code) <= set(CODE_ALPHABET) for c in coupons)


def test_coupons_only_for_retailers_in_the_issuers_territory(retailer_a, retailer_b, supervisor_a):
    with pytest.raises(ValidationError, match="不在您的辖区"):
        coupon_batch_issue(
            name="券",
            retailer_ids=[retailer_a.pk, retailer_b.pk],
            expires_on=timezone.localdate(),
            value_fen=100,
            user=supervisor_a,
        )
    assert not Coupon.objects.exists()


@pytest.fixture
def coupon(retailer_a):
    batch = coupon_batch_issue(
        name="陈列奖励券", retailer_ids=[retailer_a.pk], expires_on=timezone.localdate(), kind="gift"
    )
    return batch.coupons.get()


def test_a_coupon_is_used_once(coupon, manager_a):
    code = f" {coupon.code[:5].lower()}-{coupon.code[5:]} "  # as typed on a phone

    used = coupon_redeem(code=code, user=manager_a)
    with pytest.raises(ConflictError, match="已于"):
        coupon_redeem(code=coupon.code, user=manager_a)

    assert (used.status, used.redeemed_by) == ("redeemed", manager_a)


def test_an_expired_void_or_foreign_coupon_is_refused(coupon, manager_a, manager_b, supervisor_a):
    with pytest.raises(ValidationError, match="券码无效"):
        coupon_redeem(code=coupon.code, user=manager_b)  # another territory: as if it did not exist
    Coupon.objects.filter(pk=coupon.pk).update(expires_on=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ConflictError, match="过期"):
        coupon_redeem(code=coupon.code, user=manager_a)
    coupon_void(coupon_id=coupon.pk, user=supervisor_a)
    with pytest.raises(ConflictError, match="作废"):
        coupon_redeem(code=coupon.code, user=manager_a)
