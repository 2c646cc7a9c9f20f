"""The rewards catalog and the redemptions of its items."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.ledger.models import PointsAccount, PointsEntry
from loyalty.levels.models import MembershipLevel


class Reward(models.Model):
    """An item of the rewards catalog."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("实物")
        DISCOUNT = "discount", _("折扣抵扣")
        SERVICE = "service", _("服务")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    description = models.TextField(_("说明"), blank=True)
    points_price = models.PositiveIntegerField(_("所需积分"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True, help_text=_("留空表示不限量。"))
    levels = models.ManyToManyField(
        MembershipLevel,
        verbose_name=_("可兑换等级"),
        blank=True,
        related_name="+",
        help_text=_("不选表示所有等级（含未定级）都可兑换。"),
    )
    valid_from = models.DateField(_("兑换起始日"), null=True, blank=True)
    valid_to = models.DateField(_("兑换截止日"), null=True, blank=True)
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("兑换礼品")
        verbose_name_plural = _("兑换礼品")
        ordering = ["points_price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points_price__gt=0), name="reward_price_positive"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    """A retailer's request for a reward, paid in points when requested; cancelling refunds them."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        APPROVED = "approved", _("已审核")
        DELIVERED = "delivered", _("已兑付")
        CANCELLED = "cancelled", _("已取消")

    class Channel(models.TextChoices):
        STAFF = "staff", _("客户经理代办")
        LINK = "link", _("客户自助")
        API = "api", _("接口")

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("积分账户"), on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("礼品"), on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.STAFF)
    entry = models.OneToOneField(
        PointsEntry, verbose_name=_("扣分记录"), on_delete=models.PROTECT, related_name="redemption"
    )
    refund_entry = models.OneToOneField(
        PointsEntry,
        verbose_name=_("退分记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_redemption",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("兑付时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive"),
            models.CheckConstraint(
                condition=Q(status="cancelled", refund_entry__isnull=False)
                | (~Q(status="cancelled") & Q(refund_entry__isnull=True)),
                name="redemption_refund_iff_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="redemption_status"),
            models.Index(fields=["account", "-id"], name="redemption_account"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.reward_id}×{self.quantity}"
