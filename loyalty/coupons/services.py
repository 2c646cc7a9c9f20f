"""Coupons: issued in batches to a list of retailers (a segment's members, a campaign's audience), each with
a unique code, each redeemable once before it expires."""

import datetime
import secrets
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.errors import ConflictError
from loyalty.coupons.models import Coupon, CouponBatch
from users.models import User

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
ISSUE_CHUNK = 5000
ISSUE_PERMISSION = "loyalty.add_coupon"
REDEEM_PERMISSION = "loyalty.change_coupon"


def coupon_code_new() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def coupon_code_normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def coupon_batch_issue(
    *,
    name: str,
    retailer_ids: Iterable[int],
    expires_on: datetime.date,
    kind: str = CouponBatch.Kind.AMOUNT_OFF,
    value_fen: int = 0,
    description: str = "",
    source: str = "",
    user: User | None = None,
) -> CouponBatch:
    """Issue one coupon to each retailer in `retailer_ids` (ids, or a values_list queryset such as a segment's
    members); `source` says who issued them ("campaign:12", "segment:3"). With a `user`, every retailer must
    be in the user's scope. Set-based: one INSERT per 5,000 coupons; a code that collides gets a new one."""
    if user is not None and not user.has_perm(ISSUE_PERMISSION):
        raise PermissionDenied(_("您没有发放优惠券的权限。"))
    ids = sorted({int(i) for i in retailer_ids})
    errors = {}
    if not name.strip():
        errors["name"] = _("请填写名称。")
    if expires_on < timezone.localdate():
        errors["expires_on"] = _("有效期不能早于今天。")
    if kind not in CouponBatch.Kind.values:
        errors["kind"] = _("未知的优惠券类型。")
    if kind == CouponBatch.Kind.AMOUNT_OFF and value_fen <= 0:
        errors["value_fen"] = _("抵扣金额券的面值必须大于 0。")
    if not ids:
        errors["retailer_ids"] = _("没有要发放的客户。")
    if errors:
        raise ValidationError(errors)
    known = retailer_scope(user=user) if user is not None else Retailer.objects.all()
    found = known.filter(pk__in=ids).count()
    if found != len(ids):
        raise ValidationError(
            {"retailer_ids": _("有 %(n)s 个客户不存在或不在您的辖区。") % {"n": len(ids) - found}}
        )
    with transaction.atomic():
        batch = CouponBatch.objects.create(
            name=name.strip()[:100],
            kind=kind,
            value_fen=value_fen,
            description=description[:200],
            expires_on=expires_on,
            source=source[:60],
            created_by=user,
            issued_count=len(ids),
        )
        with connection.cursor() as cursor:
            for start in range(0, len(ids), ISSUE_CHUNK):
                pending = ids[start : start + ISSUE_CHUNK]
                while pending:
                    codes = [coupon_code_new() for _ in pending]
                    cursor.execute(
                        """
                        INSERT INTO loyalty_coupon (batch_id, retailer_id, code, status, expires_on, issued_at)
                        SELECT %s, r, c, 'issued', %s, now() FROM unnest(%s::bigint[], %s::text[]) AS t(r, c)
                        ON CONFLICT (code) DO NOTHING RETURNING retailer_id
                        """,
                        [batch.pk, expires_on, pending, codes],
                    )
                    issued = {row[0] for row in cursor.fetchall()}
                    pending = [i for i in pending if i not in issued]
    return batch


def coupon_redeem(*, code: str, user: User) -> Coupon:
    """Use a coupon once: a conditional update claims it, so two clerks scanning the same code at the same
    time get one success and one "already used". Only coupons of retailers in the user's scope."""
    if not user.has_perm(REDEEM_PERMISSION):
        raise PermissionDenied(_("您没有核销优惠券的权限。"))
    normalised = coupon_code_normalise(code)
    today = timezone.localdate()
    with transaction.atomic():
        claimed = Coupon.objects.filter(
            code=normalised,
            status=Coupon.Status.ISSUED,
            expires_on__gte=today,
            retailer__in=retailer_scope(user=user).values("id"),
        ).update(status=Coupon.Status.REDEEMED, redeemed_at=timezone.now(), redeemed_by=user)
        coupon = Coupon.objects.filter(
            code=normalised, retailer__in=retailer_scope(user=user).values("id")
        ).first()
        if coupon is None:
            raise ValidationError({"code": _("券码无效。")})
        if not claimed:
            if coupon.status == Coupon.Status.REDEEMED:
                raise ConflictError(
                    _("该券已于 %(at)s 使用。")
                    % {"at": timezone.localtime(coupon.redeemed_at).strftime("%Y-%m-%d %H:%M")}
                )
            if coupon.status == Coupon.Status.VOID:
                raise ConflictError(_("该券已作废。"))
            raise ConflictError(_("该券已于 %(day)s 过期。") % {"day": coupon.expires_on.isoformat()})
        return coupon


@transaction.atomic
def coupon_void(*, coupon_id: int, user: User) -> Coupon:
    if not user.has_perm(ISSUE_PERMISSION):
        raise PermissionDenied(_("您没有作废优惠券的权限。"))
    coupon = Coupon.objects.select_for_update().get(pk=coupon_id)
    if coupon.status != Coupon.Status.ISSUED:
        raise ConflictError(_("只能作废未使用的券。"))
    coupon.status = Coupon.Status.VOID
    coupon.save(update_fields=["status"])
    return coupon
