"""A retailer's appeal against its tier (档位异议): a complaint of the category "tier_appeal" (its deadlines, routing
to the supervisor, timeline and public page) plus the decision — keep the tier, or change it through the tier
engine's manual change path (segmentation.tiers: a second person approves it)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TIER_APPEAL_CATEGORY = "tier_appeal"


class TierAppeal(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待裁定")
        UPHELD = "upheld", _("维持原档")
        CHANGED = "changed", _("调整档位")

    complaint = models.OneToOneField(
        "feedback.Complaint", verbose_name=_("案件"), on_delete=models.PROTECT, related_name="tier_appeal"
    )
    retailer = models.ForeignKey(
        "accounts.Retailer", verbose_name=_("零售户"), on_delete=models.PROTECT, related_name="+"
    )
    tier_at_filing = models.PositiveSmallIntegerField(_("提出时档位"), null=True, blank=True)
    proposal = models.ForeignKey(
        "segmentation.TierProposal",
        verbose_name=_("档位方案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("提出异议时，评定该客户的已发布档位方案。"),
    )
    outcome = models.CharField(_("裁定"), max_length=8, choices=Outcome.choices, default=Outcome.PENDING)
    decided_tier = models.PositiveSmallIntegerField(_("裁定档位"), null=True, blank=True)
    decision_reason = models.CharField(_("裁定理由"), max_length=500, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁定人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("裁定时间"), null=True, blank=True)
    tier_change = models.ForeignKey(
        "segmentation.TierChange",
        verbose_name=_("档位变更记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("档位异议")
        verbose_name_plural = _("档位异议")
        ordering = ["-id"]
        permissions = [("decide_tierappeal", _("可以裁定档位异议"))]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"], condition=Q(outcome="pending"), name="tierappeal_one_open_per_retailer"
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="tierappeal_decided_has_who_when",
            ),
        ]

    def __str__(self):
        return f"#{self.complaint_id} {self.get_outcome_display()}"
