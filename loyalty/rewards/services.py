"""Rewards: redeem (points taken when requested), approve, deliver, cancel (points refunded, stock restored)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from core.messages import system_message
from loyalty import system_texts as texts
from loyalty.ledger.models import PointsAccount, PointsEntry
from loyalty.ledger.services import account_expire_due, account_lock, debit, points_reverse
from loyalty.rewards.models import Redemption, Reward
from users.models import User

REDEEM_PERMISSION = "loyalty.add_redemption"
DECIDE_PERMISSION = "loyalty.change_redemption"
MAX_QUANTITY = 99


def reward_refusal(*, reward: Reward, account: PointsAccount | None, today: datetime.date) -> str:
    """Why this retailer may not redeem this reward now ("" if it may): off the shelf, outside its dates,
    out of stock, or not for the retailer's level."""
    if not reward.is_active:
        return _("该礼品已下架。")
    if reward.valid_from and today < reward.valid_from:
        return _("该礼品 %(day)s 起才可兑换。") % {"day": reward.valid_from.isoformat()}
    if reward.valid_to and today > reward.valid_to:
        return _("该礼品已过兑换期。")
    if reward.stock is not None and reward.stock <= 0:
        return _("该礼品已兑完。")
    allowed = [level.pk for level in reward.levels.all()]
    if allowed and (account is None or account.level_id not in allowed):
        return _("该礼品仅限 %(levels)s 会员兑换。") % {
            "levels": "、".join(level.name for level in reward.levels.all())
        }
    return ""


def reward_redeem(
    *,
    retailer_id: int,
    reward_id: int,
    quantity: int = 1,
    user: User | None = None,
    channel: str = Redemption.Channel.STAFF,
    note: str = "",
) -> Redemption:
    """Redeem a reward for a retailer: the points are taken (first in, first out) and the stock reserved at
    once, in one transaction under the account's lock, so concurrent requests can never overspend. `user` is
    the customer manager or integration acting for the retailer; None when the retailer uses its link."""
    if user is not None and not user.has_perm(REDEEM_PERMISSION):
        raise PermissionDenied(_("您没有兑换积分的权限。"))
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError({"quantity": _("数量应为 1–%(max)s。") % {"max": MAX_QUANTITY}})
    if channel not in Redemption.Channel.values:
        raise ValidationError({"channel": _("未知的兑换渠道。")})
    today = timezone.localdate()
    with transaction.atomic():
        account = account_lock(retailer_id=retailer_id)
        reward = Reward.objects.filter(pk=reward_id).prefetch_related("levels").first()
        if reward is None:
            raise ValidationError({"reward": _("没有这个礼品。")})
        refusal = reward_refusal(reward=reward, account=account, today=today)
        if refusal:
            raise ConflictError(refusal)
        # a conditional decrement: the row lock it takes keeps two redemptions from both getting the last one
        reserved = (
            reward.stock is None
            or Reward.objects.filter(pk=reward.pk, stock__gte=quantity).update(stock=F("stock") - quantity)
            == 1
        )
        if not reserved:
            raise ConflictError(_("库存不足：剩余 %(n)s 件。") % {"n": reward.stock})
        account_expire_due(account=account, today=today)
        points = reward.points_price * quantity
        entry = debit(
            account=account,
            kind=PointsEntry.Kind.REDEEM,
            points=points,
            user=user,
            message=system_message(texts.REDEEMED, name=reward.name, n=quantity),
        )
        return Redemption.objects.create(
            account=account,
            reward=reward,
            quantity=quantity,
            points=points,
            channel=channel,
            entry=entry,
            requested_by=user,
            note=note[:200],
        )


def _locked(redemption_id: int) -> Redemption:
    """The redemption under its account's lock (account first, as every ledger writer locks)."""
    account_id = Redemption.objects.values_list("account_id", flat=True).get(pk=redemption_id)
    retailer_id = PointsAccount.objects.values_list("retailer_id", flat=True).get(pk=account_id)
    account_lock(retailer_id=retailer_id)
    return Redemption.objects.select_for_update().select_related("reward").get(pk=redemption_id)


@transaction.atomic
def redemption_approve(*, redemption_id: int, user: User) -> Redemption:
    if not user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("您没有审核兑换的权限。"))
    redemption = _locked(redemption_id)
    if redemption.status != Redemption.Status.REQUESTED:
        raise ConflictError(
            _("只能审核“已申请”的兑换（当前：%(s)s）。") % {"s": redemption.get_status_display()}
        )
    redemption.status = Redemption.Status.APPROVED
    redemption.approved_at = timezone.now()
    redemption.decided_by = user
    redemption.save(update_fields=["status", "approved_at", "decided_by"])
    return redemption


@transaction.atomic
def redemption_deliver(*, redemption_id: int, user: User) -> Redemption:
    if not user.has_perm(DECIDE_PERMISSION):
        raise PermissionDenied(_("您没有确认兑付的权限。"))
    redemption = _locked(redemption_id)
    if redemption.status not in (Redemption.Status.REQUESTED, Redemption.Status.APPROVED):
        raise ConflictError(_("该兑换当前为“%(s)s”，不能确认兑付。") % {"s": redemption.get_status_display()})
    now = timezone.now()
    redemption.status = Redemption.Status.DELIVERED
    redemption.approved_at = redemption.approved_at or now
    redemption.delivered_at = now
    redemption.decided_by = user
    redemption.save(update_fields=["status", "approved_at", "delivered_at", "decided_by"])
    return redemption


def redemption_may_cancel(*, redemption: Redemption, user: User) -> bool:
    """Supervisors cancel any redemption not yet delivered; whoever may redeem cancels one still requested."""
    if redemption.status in (Redemption.Status.DELIVERED, Redemption.Status.CANCELLED):
        return False
    if user.has_perm(DECIDE_PERMISSION):
        return True
    return redemption.status == Redemption.Status.REQUESTED and user.has_perm(REDEEM_PERMISSION)


@transaction.atomic
def redemption_cancel(*, redemption_id: int, user: User, reason: str = "") -> Redemption:
    """Cancel a redemption not yet delivered: its points come back (a reversing entry, as a lot keeping their
    expiry date or at least the grace days) and the stock is restored. Cancelling twice refunds once."""
    redemption = _locked(redemption_id)
    if not redemption_may_cancel(redemption=redemption, user=user):
        if redemption.status in (Redemption.Status.DELIVERED, Redemption.Status.CANCELLED):
            raise ConflictError(_("该兑换当前为“%(s)s”，不能取消。") % {"s": redemption.get_status_display()})
        raise PermissionDenied(_("您没有取消该兑换的权限。"))
    refund = points_reverse(
        entry_id=redemption.entry_id,
        user=user,
        reason=reason,
        message=None if reason else system_message(texts.REDEMPTION_CANCELLED, id=redemption.pk),
        allow_redemption=True,
    )
    if redemption.reward.stock is not None:
        Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + redemption.quantity)
    redemption.status = Redemption.Status.CANCELLED
    redemption.refund_entry = refund
    redemption.cancelled_at = timezone.now()
    redemption.decided_by = user
    if reason:
        redemption.note = reason[:200]
    redemption.save(update_fields=["status", "refund_entry", "cancelled_at", "decided_by", "note"])
    return redemption
