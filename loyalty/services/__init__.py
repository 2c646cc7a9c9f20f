"""Every write of the loyalty app, by entity: the ledger (award, redeem, expire, reverse, adjust), levels,
rewards and redemptions, referrals, coupons. Import from here."""

from loyalty.services.coupons import coupon_batch_issue, coupon_redeem, coupon_void
from loyalty.services.ledger import (
    account_lock,
    points_adjust,
    points_award,
    points_expire,
    points_expiry_date,
    points_expiry_notices_raise,
    points_redeem,
    points_reverse,
    programme_get,
)
from loyalty.services.levels import level_recompute
from loyalty.services.referrals import referral_cancel, referral_create, referrals_grant
from loyalty.services.rewards import (
    redemption_approve,
    redemption_cancel,
    redemption_deliver,
    redemption_may_cancel,
    reward_redeem,
    reward_refusal,
)

__all__ = [
    "account_lock",
    "coupon_batch_issue",
    "coupon_redeem",
    "coupon_void",
    "level_recompute",
    "points_adjust",
    "points_award",
    "points_expire",
    "points_expiry_date",
    "points_expiry_notices_raise",
    "points_redeem",
    "points_reverse",
    "programme_get",
    "redemption_approve",
    "redemption_cancel",
    "redemption_deliver",
    "redemption_may_cancel",
    "referral_cancel",
    "referral_create",
    "referrals_grant",
    "reward_redeem",
    "reward_refusal",
]
