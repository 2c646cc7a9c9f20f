"""Coupons and the batches they are issued in."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer


class CouponBatch(models.Model):
    """Coupons issued together: to a list of retailers (a segment's members) or by a campaign."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("抵扣金额")
        GIFT = "gift", _("礼品")
        SERVICE = "service", _("服务")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.AMOUNT_OFF)
    value_fen = models.PositiveIntegerField(_("面值(分)"), default=0, help_text=_("抵扣金额券的面值。"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    expires_on = models.DateField(_("有效期至"))
    source = models.CharField(
        _("来源"), max_length=60, blank=True, help_text=_("例如 campaign:12 或 segment:3，由发放方填写。")
    )
    issued_count = models.PositiveIntegerField(_("发放张数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发放时间"), default=timezone.now)

    class Meta:
        verbose_name = _("优惠券批次")
        verbose_name_plural = _("优惠券批次")
        ordering = ["-id"]

    def __str__(self):
        return self.name


class Coupon(models.Model):
    """One coupon of one retailer: a unique code, redeemable once before it expires."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("未使用")
        REDEEMED = "redeemed", _("已使用")
        VOID = "void", _("已作废")

    batch = models.ForeignKey(
        CouponBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="coupons"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("券码"), max_length=12, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    expires_on = models.DateField(_("有效期至"))
    issued_at = models.DateTimeField(_("发放时间"), default=timezone.now)
    redeemed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "retailer"], name="coupon_once_per_batch_retailer"),
            models.CheckConstraint(
                condition=Q(status="redeemed", redeemed_at__isnull=False)
                | (~Q(status="redeemed") & Q(redeemed_at__isnull=True)),
                name="coupon_redeemed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["retailer", "-id"], name="coupon_retailer")]

    def __str__(self):
        return self.code
