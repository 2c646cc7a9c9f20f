"""Membership levels and the history of each retailer's level changes."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.ledger.models import PointsAccount


class MembershipLevel(models.Model):
    """A membership level (铜卡, 银卡, 金卡, 钻石…). A retailer holds the highest active level whose thresholds
    its rolling figures reach, by the programme's basis. The level of rank 0 has no threshold: everyone."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=20)
    rank = models.PositiveSmallIntegerField(_("级别"), unique=True, help_text=_("越大越高。"))
    min_amount_fen = models.BigIntegerField(_("进货金额门槛(分)"), default=0)
    min_orders = models.PositiveIntegerField(_("订单数门槛"), default=0)
    points_multiplier = models.DecimalField(_("积分倍数"), max_digits=4, decimal_places=2, default=1)
    benefits = models.TextField(_("会员权益"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(points_multiplier__gt=0), name="level_multiplier_positive"),
            models.CheckConstraint(condition=Q(min_amount_fen__gte=0), name="level_min_amount_not_negative"),
        ]

    def __str__(self):
        return self.name


class LevelChange(models.Model):
    """One change of a retailer's level by the nightly recompute (append-only history)."""

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("积分账户"), on_delete=models.PROTECT, related_name="level_changes"
    )
    from_level = models.ForeignKey(
        MembershipLevel,
        verbose_name=_("原等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_level = models.ForeignKey(
        MembershipLevel,
        verbose_name=_("新等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_on = models.DateField(_("日期"))
    rolling_amount_fen = models.BigIntegerField(_("统计期进货金额(分)"))
    rolling_orders = models.PositiveIntegerField(_("统计期订单数"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("等级变动")
        verbose_name_plural = _("等级变动")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="levelchange_account")]

    def __str__(self):
        return f"{self.account_id}: {self.from_level_id} → {self.to_level_id}"
