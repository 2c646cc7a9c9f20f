"""What the machine-learning stages of a scoring run keep (segmentation.ml): the profile of each cluster and each
retailer's product recommendations."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.models import Retailer
from segmentation.scoring.models import ScoringRun


class ClusterProfile(models.Model):
    """One KMeans cluster of one run, described for supervisors: its size and the medians of its measures, and
    traits (how those medians compare with all buyers') from which its name is built in the reader's language.
    Numbered by median order amount, 1 the highest."""

    class Trait(models.TextChoices):
        HIGH_FREQUENCY = "high_frequency", _("高频")
        MID_FREQUENCY = "mid_frequency", _("中频")
        LOW_FREQUENCY = "low_frequency", _("低频")
        HIGH_VALUE = "high_value", _("高值")
        MID_VALUE = "mid_value", _("中值")
        LOW_VALUE = "low_value", _("低值")
        NEW = "new", _("新客")
        WEEKLY = "weekly", _("周订")
        INTERMITTENT = "intermittent", _("间歇订货")
        OCCASIONAL = "occasional", _("偶尔订货")
        LAPSING = "lapsing", _("久未订货")
        GROWING = "growing", _("上升")
        DECLINING = "declining", _("下滑")
        PREMIUM = "premium", _("高单条值")
        ECONOMY = "economy", _("低单条值")

    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.CASCADE, related_name="cluster_profiles"
    )
    number = models.PositiveSmallIntegerField(_("编号"))
    traits = models.JSONField(_("特征"), default=list)
    size = models.PositiveIntegerField(_("客户数"))
    share = models.DecimalField(_("占比"), max_digits=5, decimal_places=4)
    medians = models.JSONField(_("中位数"), default=dict)

    class Meta:
        verbose_name = _("客户群画像")
        verbose_name_plural = _("客户群画像")
        ordering = ["-run_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="clusterprofile_number_per_run"),
        ]

    def __str__(self):
        return f"{self.number} · {self.name}"

    @property
    def name(self) -> str:
        """E.g. "高频高值·周订·高单条值": frequency and value, then cadence, then what else stands out."""
        labels = dict(self.Trait.choices)
        words = [str(labels.get(t, t)) for t in self.traits]
        if len(words) < 2:
            return "".join(words)
        head = pgettext("cluster name: frequency then value", "%(frequency)s%(value)s") % {
            "frequency": words[0],
            "value": words[1],
        }
        return pgettext("cluster name separator", "·").join([head, *words[2:]])


class Recommendation(models.Model):
    """A product a retailer does not buy and should be offered, with why; the latest run's set replaces the
    previous one (see segmentation.ml.recommendations)."""

    class Kind(models.TextChoices):
        PEER = "peer", _("同类客户在订")
        SUBSTITUTE = "substitute", _("退市替代")

    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.CASCADE, related_name="+"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    product = models.ForeignKey(
        "sales.Product", verbose_name=_("推荐品规"), on_delete=models.CASCADE, related_name="+"
    )
    rank = models.PositiveSmallIntegerField(_("顺序"))
    kind = models.CharField(_("推荐原因"), max_length=12, choices=Kind.choices)
    peer_count = models.PositiveIntegerField(_("同类客户数"), null=True, blank=True)
    peer_buyers = models.PositiveIntegerField(_("同类客户中在订数"), null=True, blank=True)
    substitute_for = models.ForeignKey(
        "sales.Product",
        verbose_name=_("替代的退市品规"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        verbose_name = _("品规推荐")
        verbose_name_plural = _("品规推荐")
        ordering = ["retailer_id", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["retailer", "rank"], name="recommendation_rank_per_retailer"),
            models.UniqueConstraint(fields=["retailer", "product"], name="recommendation_product_once"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="recommendation_rank_from_1"),
            models.CheckConstraint(
                condition=(
                    Q(kind="peer", peer_count__gt=0, peer_buyers__isnull=False, substitute_for__isnull=True)
                    | Q(kind="substitute", substitute_for__isnull=False)
                ),
                name="recommendation_reason_complete",
            ),
        ]

    def __str__(self):
        return f"{self.retailer_id} #{self.rank} {self.product_id}"

    @property
    def penetration(self) -> float | None:
        """Share of the peer group that buys the product (None for a substitute)."""
        return self.peer_buyers / self.peer_count if self.peer_count else None
