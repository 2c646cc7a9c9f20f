"""The tier engine's rows (档位): the rule it grades by, its proposals and their lines, and the tier history."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from core.messages import SystemText, system_message_field

TIER_COUNT = 30
TIER_RANGE = [MinValueValidator(1), MaxValueValidator(TIER_COUNT)]


def tier_default_shares() -> list[int]:
    """The default share table, tier 1 first: a triangle rising to the middle, min(t, 31 − t) — tiers 1 and 30
    get 1 part each, tiers 15 and 16 get 15 parts each, 240 parts in all (tier 30 ≈ 0.4%, tier 15 ≈ 6.3%)."""
    return [min(t, TIER_COUNT + 1 - t) for t in range(1, TIER_COUNT + 1)]


class TierRule(models.Model):
    """How the tier engine grades (one row, editable in the admin). A proposal copies the values it used."""

    class Period(models.TextChoices):
        MONTH = "month", _("月")
        QUARTER = "quarter", _("季度")

    class Mode(models.TextChoices):
        SHARES = "shares", _("按各档占比/户数")
        MATRIX = "matrix", _("条数10档×单条值3档矩阵")

    period = models.CharField(_("评定周期"), max_length=7, choices=Period.choices, default=Period.MONTH)
    weight_cartons = models.PositiveSmallIntegerField(
        _("条数权重"), default=40, validators=[MaxValueValidator(100)]
    )
    weight_amount = models.PositiveSmallIntegerField(
        _("金额权重"), default=40, validators=[MaxValueValidator(100)]
    )
    weight_avg_price = models.PositiveSmallIntegerField(
        _("单条值权重"), default=20, validators=[MaxValueValidator(100)]
    )
    mode = models.CharField(_("划档方式"), max_length=6, choices=Mode.choices, default=Mode.SHARES)
    tier_shares = models.JSONField(
        _("各档占比或户数"),
        default=tier_default_shares,
        help_text=_("30 个非负数，第 1 档在前；按比例分配户数（总和等于客户数时即为精确户数）。"),
    )
    new_retailer_cap = models.PositiveSmallIntegerField(
        _("新客户最高档位"), default=24, validators=TIER_RANGE
    )
    new_days = models.PositiveSmallIntegerField(
        _("新客户天数"), default=90, help_text=_("首次订货在评定期末前此天数内为新客户。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("档位规则")
        verbose_name_plural = _("档位规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_cartons__lte=100)
                & Q(weight_amount__lte=100)
                & Q(weight_avg_price__lte=100),
                name="tierrule_weights_le_100",
            ),
            models.CheckConstraint(
                condition=Q(new_retailer_cap__range=(1, TIER_COUNT)), name="tierrule_cap_1_30"
            ),
        ]

    def __str__(self):
        return str(_("档位规则"))

    def clean(self):
        errors = {}
        if self.weight_cartons + self.weight_amount + self.weight_avg_price != 100:
            errors["weight_avg_price"] = _("三项权重之和必须为 100。")
        shares = self.tier_shares
        if (
            not isinstance(shares, list)
            or len(shares) != TIER_COUNT
            or any(not isinstance(s, int | float) or isinstance(s, bool) or s < 0 for s in shares)
            or sum(shares) <= 0
        ):
            errors["tier_shares"] = _("请填写 30 个非负数（第 1 档在前），且总和大于 0。")
        if errors:
            raise ValidationError(errors)

    def as_parameters(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "period",
                "weight_cartons",
                "weight_amount",
                "weight_avg_price",
                "mode",
                "tier_shares",
                "new_retailer_cap",
                "new_days",
            )
        }


class TierProposal(models.Model):
    """One run of the tier engine over the creator's territory: a draft until a supervisor publishes it (then it
    is locked) or discards it. At most one proposal per territory and period is published."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        DISCARDED = "discarded", _("已作废")

    org_unit = models.ForeignKey(
        "users.OrgUnit",
        verbose_name=_("评定范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"))
    parameters = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    counts = models.JSONField(_("各档户数"), default=dict, blank=True)
    retailer_count = models.PositiveIntegerField(_("客户数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("档位方案")
        verbose_name_plural = _("档位方案")
        ordering = ["-id"]
        permissions = [("publish_tierproposal", _("可以发布档位方案"))]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "period_start", "period_end"],
                condition=Q(status="published"),
                nulls_distinct=False,
                name="tierproposal_one_published_per_period",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="tierproposal_period_order"
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.period_start}–{self.period_end} {self.get_status_display()}"

    @property
    def counts_by_tier(self) -> list[tuple[int, int]]:
        """(tier, count) best first, every tier listed."""
        return [(t, int(self.counts.get(str(t), 0))) for t in range(TIER_COUNT, 0, -1)]


class TierProposalLine(models.Model):
    proposal = models.ForeignKey(
        TierProposal, verbose_name=_("档位方案"), on_delete=models.CASCADE, related_name="lines"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.DecimalField(_("综合得分"), max_digits=7, decimal_places=4)
    rank = models.PositiveIntegerField(_("排名"))
    proposed_tier = models.PositiveSmallIntegerField(_("建议档位"), validators=TIER_RANGE)
    current_tier = models.PositiveSmallIntegerField(_("现档位"), null=True, blank=True)
    is_new = models.BooleanField(_("新客户"), default=False)
    # What the score was made of (null on lines written before these were kept): the period's measures, their
    # percent_rank in the proposal's population (0–1), and the tier the rank cut gave before the new-retailer cap.
    cartons = models.PositiveIntegerField(_("条数"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("金额(分)"), null=True, blank=True)
    avg_price_fen = models.DecimalField(
        _("单条值(分)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    pct_cartons = models.FloatField(_("条数百分位"), null=True, blank=True)
    pct_amount = models.FloatField(_("金额百分位"), null=True, blank=True)
    pct_avg_price = models.FloatField(_("单条值百分位"), null=True, blank=True)
    cut_tier = models.PositiveSmallIntegerField(_("划档档位（封顶前）"), null=True, blank=True)

    class Meta:
        verbose_name = _("档位方案明细")
        verbose_name_plural = _("档位方案明细")
        ordering = ["proposal", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "retailer"], name="tierline_once_per_proposal"),
            models.CheckConstraint(
                condition=Q(proposed_tier__range=(1, TIER_COUNT)), name="tierline_tier_1_30"
            ),
        ]

    def __str__(self):
        return f"{self.retailer_id} → {self.proposed_tier}"


class TierChange(models.Model):
    """One change of a retailer's tier: from a published proposal (approved by its publisher) or a manual request
    that a second user must approve (source "appeal" when it answers a retailer's appeal). Append-only log; pending
    requests wait at most one per retailer. An appeal decided "uphold" is logged as status "upheld" with from = to,
    so the history shows every decision about the tier, not only the changes."""

    class Source(models.TextChoices):
        PROPOSAL = "proposal", _("档位方案")
        MANUAL = "manual", _("人工调整")
        APPEAL = "appeal", _("档位异议")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        UPHELD = "upheld", _("维持原档")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    from_tier = models.PositiveSmallIntegerField(_("原档位"), null=True, blank=True)
    to_tier = models.PositiveSmallIntegerField(_("新档位"), validators=TIER_RANGE)
    reason = models.CharField(_("原因"), max_length=200)
    message = system_message_field()
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    proposal = models.ForeignKey(
        TierProposal,
        verbose_name=_("档位方案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("档位变更")
        verbose_name_plural = _("档位变更")
        ordering = ["-id"]
        permissions = [("approve_tierchange", _("可以审批档位调整"))]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer"], condition=Q(status="pending"), name="tierchange_one_pending_per_retailer"
            ),
            models.CheckConstraint(condition=Q(to_tier__range=(1, TIER_COUNT)), name="tierchange_tier_1_30"),
        ]
        indexes = [models.Index(fields=["retailer", "-id"], name="tierchange_retailer")]

    def __str__(self):
        return f"{self.retailer_id}: {self.from_tier} → {self.to_tier} ({self.get_status_display()})"

    # the reason in the reader's language: a published proposal's or an appeal's line from its code
    reason_display = SystemText("reason")
