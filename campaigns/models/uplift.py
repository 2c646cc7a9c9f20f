"""A campaign's measured effect: its orders against its holdout."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaigns import Campaign


class CampaignUplift(models.Model):
    """A campaign's orders against its holdout over its measurement window, from the weekly purchase summaries
    (campaigns.services.uplift, refreshed by the hourly KPI job): intention to treat — every retailer drawn
    outside the holdout, sent or not — against the holdout, which is never sent. The window is whole weeks,
    from the week of the launch to the week holding the last day of the conversion window; both groups share
    it, so orders of the launch week placed before the launch dilute the difference but do not bias it."""

    campaign = models.OneToOneField(
        Campaign,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="uplift",
        verbose_name=_("营销活动"),
    )
    window_start = models.DateField(_("观察开始"))
    window_end = models.DateField(_("观察结束（含）"))
    treated_n = models.PositiveIntegerField(_("发送组客户数"), default=0)
    treated_ordered = models.PositiveIntegerField(_("发送组订货客户数"), default=0)
    treated_amount_fen = models.BigIntegerField(_("发送组订货金额（分）"), default=0)
    holdout_n = models.PositiveIntegerField(_("对照组客户数"), default=0)
    holdout_ordered = models.PositiveIntegerField(_("对照组订货客户数"), default=0)
    holdout_amount_fen = models.BigIntegerField(_("对照组订货金额（分）"), default=0)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("活动增量")
        verbose_name_plural = _("活动增量")
        constraints = [
            models.CheckConstraint(
                condition=Q(treated_ordered__lte=models.F("treated_n"))
                & Q(holdout_ordered__lte=models.F("holdout_n")),
                name="campaignuplift_ordered_within_group",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("window_start")), name="campaignuplift_window_order"
            ),
        ]
        indexes = [models.Index(fields=["window_end"], name="campaignuplift_window_end")]

    def __str__(self):
        return f"{self.campaign_id} {self.window_start}–{self.window_end}"

    @property
    def treated_rate(self) -> float | None:
        return self.treated_ordered / self.treated_n if self.treated_n else None

    @property
    def holdout_rate(self) -> float | None:
        return self.holdout_ordered / self.holdout_n if self.holdout_n else None

    @property
    def rate_uplift(self) -> float | None:
        """The treated group's order rate minus the holdout's (a fraction: 0.032 is 3.2 percentage points)."""
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate

    @property
    def treated_amount_per_retailer(self) -> float | None:
        return self.treated_amount_fen / self.treated_n if self.treated_n else None

    @property
    def holdout_amount_per_retailer(self) -> float | None:
        return self.holdout_amount_fen / self.holdout_n if self.holdout_n else None

    @property
    def amount_uplift(self) -> float | None:
        """Fen per retailer: the treated group's amount per retailer minus the holdout's."""
        if self.treated_amount_per_retailer is None or self.holdout_amount_per_retailer is None:
            return None
        return self.treated_amount_per_retailer - self.holdout_amount_per_retailer

    def sufficient(self, min_group: int) -> bool:
        """Both groups hold at least `min_group` retailers (settings.CAMPAIGNS_UPLIFT_MIN_GROUP)."""
        return self.treated_n >= min_group and self.holdout_n >= min_group
