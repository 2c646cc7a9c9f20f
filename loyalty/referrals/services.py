"""Referrals: a retailer refers a newly licensed shop; it is rewarded once, when the shop's first N orders have
landed (checked after every award and nightly)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from core.errors import ConflictError
from core.messages import system_message
from loyalty import system_texts as texts
from loyalty.ledger.models import PointsEntry
from loyalty.ledger.services import account_lock, credit, points_expiry_date, programme_get
from loyalty.models import LoyaltyEvent
from loyalty.referrals.models import Referral
from users.models import User

REFERRAL_PERMISSION = "loyalty.add_referral"


def referral_create(*, referrer: Retailer, referee: Retailer, user: User | None) -> Referral:
    """Record that `referrer` brought in `referee`. The referee's licence must be new (issued within the
    programme's days); a shop can be referred once. The caller has checked both are in the user's scope."""
    if user is not None and not user.has_perm(REFERRAL_PERMISSION):
        raise PermissionDenied(_("您没有登记推荐的权限。"))
    programme = programme_get()
    today = timezone.localdate()
    if referrer.pk == referee.pk:
        raise ValidationError({"referee": _("不能推荐自己。")})
    if referee.licence_issued_on < today - datetime.timedelta(days=programme.referral_new_shop_days):
        raise ValidationError(
            {
                "referee": _("只能推荐新办证的店铺（发证 %(days)s 天内），该店 %(day)s 发证。")
                % {"days": programme.referral_new_shop_days, "day": referee.licence_issued_on.isoformat()}
            }
        )
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                referrer=referrer,
                referee=referee,
                orders_required=programme.referral_orders_required,
                points=programme.referral_points,
                created_by=user,
            )
    except IntegrityError as exc:
        raise ConflictError(_("该店铺已被推荐过，每家新店只奖励一次。")) from exc
    referrals_grant(referral_ids=[referral.pk])
    referral.refresh_from_db()
    return referral


def referrals_grant(*, referral_ids: list[int] | None = None) -> int:
    """Reward every pending referral whose referee has now placed its required orders. Each is paid once:
    its row is claimed under lock (after the referrer's account, the order every ledger writer keeps) and
    moves to "rewarded" with its entry. Returns how many were rewarded."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT f.id, f.referrer_id FROM loyalty_referral f
            WHERE f.status = 'pending' AND (%(ids)s::bigint[] IS NULL OR f.id = ANY(%(ids)s::bigint[]))
              AND (SELECT count(*) FROM (SELECT 1 FROM sales_order o WHERE o.retailer_id = f.referee_id
                                         LIMIT f.orders_required) x) >= f.orders_required
            ORDER BY f.id
            """,
            {"ids": referral_ids},
        )
        due = cursor.fetchall()
    granted = 0
    today = timezone.localdate()
    for referral_id, referrer_id in due:
        with transaction.atomic():
            account = account_lock(retailer_id=referrer_id)
            referral = (
                Referral.objects.select_for_update()
                .filter(pk=referral_id, status=Referral.Status.PENDING)
                .first()
            )
            if referral is None:
                continue  # rewarded by a concurrent run
            referral.entry = credit(
                account=account,
                kind=PointsEntry.Kind.REFERRAL,
                points=referral.points,
                expires_on=points_expiry_date(earned_on=today),
                message=system_message(texts.REFERRAL, shop=referral.referee.shop_name),
            )
            referral.status = Referral.Status.REWARDED
            referral.rewarded_at = timezone.now()
            referral.save(update_fields=["entry", "status", "rewarded_at"])
            LoyaltyEvent.objects.create(
                retailer_id=referrer_id,
                kind=LoyaltyEvent.Kind.REFERRAL_REWARDED,
                detail={"referee": referral.referee_id, "points": referral.points},
            )
            granted += 1
    return granted


@transaction.atomic
def referral_cancel(*, referral_id: int, user: User) -> Referral:
    """Withdraw a referral not yet rewarded (a rewarded one is corrected by reversing its entry)."""
    if not user.has_perm(REFERRAL_PERMISSION):
        raise PermissionDenied(_("您没有登记推荐的权限。"))
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    if referral.status != Referral.Status.PENDING:
        raise ConflictError(_("只能取消待达成的推荐。"))
    referral.status = Referral.Status.CANCELLED
    referral.save(update_fields=["status"])
    return referral
