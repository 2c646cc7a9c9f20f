"""Loyalty's models. The programme's settings and the events other apps follow live here; the rest lives in
its sub-area and is imported below so Django finds it: the points ledger (`ledger/`), earn rules (`earning/`),
membership levels (`levels/`), rewards and redemptions (`rewards/`), referrals (`referrals/`), coupons
(`coupons/`)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer

# the sub-areas' models, imported so Django registers them with the app (import them from their sub-area)
from loyalty.coupons.models import Coupon, CouponBatch
from loyalty.earning.models import EarnMultiplier, EarnRule
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse
from loyalty.levels.models import LevelChange, MembershipLevel
from loyalty.referrals.models import Referral
from loyalty.rewards.models import Redemption, Reward

__all__ = [
    "Coupon",
    "CouponBatch",
    "EarnMultiplier",
    "EarnRule",
    "LevelChange",
    "LoyaltyEvent",
    "MembershipLevel",
    "PointsAccount",
    "PointsEntry",
    "PointsLot",
    "PointsLotUse",
    "Programme",
    "Redemption",
    "Referral",
    "Reward",
]


class Programme(models.Model):
    """The programme's settings (one row, editable in the admin; `loyalty.ledger.services.programme_get` creates it)."""

    class LevelBasis(models.TextChoices):
        AMOUNT = "amount", _("按进货金额")
        ORDERS = "orders", _("按订单数")
        EITHER = "either", _("金额或订单数达到其一")
        BOTH = "both", _("金额和订单数都达到")

    level_basis = models.CharField(
        _("会员等级依据"), max_length=10, choices=LevelBasis.choices, default=LevelBasis.AMOUNT
    )
    level_window_months = models.PositiveSmallIntegerField(
        _("等级统计月数"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_("当月及之前若干个月（共此月数）的进货金额和订单数。"),
    )
    expiry_years = models.PositiveSmallIntegerField(
        _("积分有效年数"),
        default=1,
        help_text=_("某年获得的积分在其后第 N 年的 12 月 31 日到期；1 即次年年底。"),
    )
    expiry_notice_days = models.PositiveSmallIntegerField(
        _("到期提醒天数"), default=30, help_text=_("积分到期前此天数内提醒客户（通过营销活动发送）。")
    )
    refund_grace_days = models.PositiveSmallIntegerField(
        _("退还积分宽限天数"),
        default=30,
        help_text=_("取消兑换退还的积分沿用原到期日；原到期日已过或临近时，至少保留此天数。"),
    )
    referral_orders_required = models.PositiveSmallIntegerField(
        _("推荐奖励所需订单数"), default=3, validators=[MinValueValidator(1)]
    )
    referral_points = models.PositiveIntegerField(
        _("推荐奖励积分"), default=500, validators=[MinValueValidator(1)]
    )
    referral_new_shop_days = models.PositiveSmallIntegerField(
        _("新店认定天数"), default=180, help_text=_("被推荐店铺的许可证须在此天数内发证。")
    )
    fen_per_point = models.PositiveIntegerField(
        _("每积分价值(分)"), default=1, help_text=_("财务计提积分负债时每 1 积分折合的金额。")
    )
    link_max_age_days = models.PositiveSmallIntegerField(
        _("客户链接有效天数"), default=30, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("积分计划设置")
        verbose_name_plural = _("积分计划设置")

    def __str__(self):
        return str(_("积分计划设置"))


class LoyaltyEvent(models.Model):
    """Something other apps react to (campaigns send the notices): points about to expire (once per account
    and expiry date), a level change, a referral rewarded. Append-only; consumers read in id order after a
    cursor they keep (selectors.loyalty_events_after)."""

    class Kind(models.TextChoices):
        POINTS_EXPIRING = "points_expiring", _("积分即将到期")
        LEVEL_CHANGED = "level_changed", _("会员等级变动")
        REFERRAL_REWARDED = "referral_rewarded", _("推荐奖励到账")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    ref_date = models.DateField(_("相关日期"), null=True, blank=True, help_text=_("积分到期事件：到期日。"))
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分事件")
        verbose_name_plural = _("积分事件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "kind", "ref_date"],
                condition=Q(kind="points_expiring"),
                name="loyaltyevent_expiry_notice_once",
            ),
        ]
        indexes = [models.Index(fields=["kind", "id"], name="loyaltyevent_kind")]

    def __str__(self):
        return f"{self.retailer_id} {self.kind}"
