"""Referrals of newly licensed shops."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from loyalty.ledger.models import PointsEntry


class Referral(models.Model):
    """A retailer referred a newly licensed shop; the referrer is rewarded once the shop's first orders land."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待达成")
        REWARDED = "rewarded", _("已奖励")
        CANCELLED = "cancelled", _("已取消")

    referrer = models.ForeignKey(
        Retailer, verbose_name=_("推荐人"), on_delete=models.PROTECT, related_name="+"
    )
    referee = models.OneToOneField(
        Retailer, verbose_name=_("被推荐新店"), on_delete=models.PROTECT, related_name="referral_received"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    orders_required = models.PositiveSmallIntegerField(_("所需订单数"))
    points = models.PositiveIntegerField(_("奖励积分"))
    entry = models.OneToOneField(
        PointsEntry,
        verbose_name=_("奖励记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    rewarded_at = models.DateTimeField(_("奖励时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推荐新店")
        verbose_name_plural = _("推荐新店")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referee")), name="referral_not_self"),
            models.CheckConstraint(
                condition=Q(status="rewarded", entry__isnull=False)
                | (~Q(status="rewarded") & Q(entry__isnull=True)),
                name="referral_entry_iff_rewarded",
            ),
        ]
        indexes = [models.Index(fields=["status"], condition=Q(status="pending"), name="referral_pending")]

    def __str__(self):
        return f"{self.referrer_id} → {self.referee_id}"
