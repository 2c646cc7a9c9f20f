"""Scoring runs and their results: each retailer's current RFM scores and classes, the history of every change of
class, and the lifecycle transitions other apps subscribe to. The rules are documented in services.SCORE_SQL."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer

SCORE_RANGE = [MinValueValidator(1), MaxValueValidator(5)]


class LifecycleRule(models.Model):
    """The thresholds the nightly run classifies by (one row, editable in the admin). Every run copies the values
    it used into its parameters, so a later edit never changes how an old run reads."""

    new_days = models.PositiveSmallIntegerField(
        _("新客户天数"), default=90, help_text=_("首次订货在此天数内为新客户。")
    )
    at_risk_weeks = models.PositiveSmallIntegerField(
        _("流失风险周数"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("连续此周数未订货为流失风险。"),
    )
    lost_weeks = models.PositiveSmallIntegerField(
        _("流失周数"), default=8, validators=[MinValueValidator(2)], help_text=_("连续此周数未订货为已流失。")
    )
    reactivated_weeks = models.PositiveSmallIntegerField(
        _("回流观察周数"),
        default=4,
        validators=[MinValueValidator(1)],
        help_text=_("停订满流失周数后重新订货，此周数内为回流客户。"),
    )
    loyal_regularity_pct = models.PositiveSmallIntegerField(
        _("忠诚客户订货周占比(%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("活跃客户中，应订货周里实际订货的占比达到此值为忠诚客户。"),
    )
    value_high_pct = models.PositiveSmallIntegerField(
        _("高价值客户占比(%)"), default=33, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    value_low_pct = models.PositiveSmallIntegerField(
        _("低价值客户占比(%)"), default=33, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("生命周期与分级规则")
        verbose_name_plural = _("生命周期与分级规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(lost_weeks__gt=F("at_risk_weeks")), name="lifecycle_lost_after_risk"
            ),
            models.CheckConstraint(
                condition=Q(value_high_pct__lte=100 - F("value_low_pct")),
                name="lifecycle_value_shares_le_100",
            ),
        ]

    def __str__(self):
        return str(_("生命周期与分级规则"))

    def as_parameters(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "new_days",
                "at_risk_weeks",
                "lost_weeks",
                "reactivated_weeks",
                "loyal_regularity_pct",
                "value_high_pct",
                "value_low_pct",
            )
        }


class ScoringRun(models.Model):
    """One scoring of every retailer. At most one run is queued or running (a partial unique index)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    ACTIVE_STATUSES = (Status.QUEUED, Status.RUNNING)

    parameters = models.JSONField(_("参数"), default=dict)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    duration = models.DurationField(_("耗时"), null=True, blank=True)
    scored_count = models.PositiveIntegerField(_("评分客户数"), default=0)
    change_count = models.PositiveIntegerField(_("分类变化数"), default=0)
    event_count = models.PositiveIntegerField(_("状态转换事件数"), default=0)
    stats = models.JSONField(_("分布统计"), default=dict, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评分批次")
        verbose_name_plural = _("评分批次")
        ordering = ["-id"]
        constraints = [
            # one claimable slot: a second queued/running row violates this index
            models.UniqueConstraint(
                models.Value(True),
                condition=Q(status__in=["queued", "running"]),
                name="scoringrun_one_active",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class RetailerScore(models.Model):
    """A retailer's current scores and classes, replaced by every run (INSERT … ON CONFLICT)."""

    class RfmSegment(models.TextChoices):
        CHAMPIONS = "champions", _("重要价值")
        LOYAL = "loyal", _("忠诚")
        POTENTIAL = "potential", _("潜力")
        NEW = "new", _("新近")
        AT_RISK = "at_risk", _("需挽留")
        CANT_LOSE = "cant_lose", _("不能失去")
        HIBERNATING = "hibernating", _("沉睡")
        LOST = "lost", _("流失")

    class Lifecycle(models.TextChoices):
        NEW = "new", _("新客户")
        ACTIVE = "active", _("活跃")
        AT_RISK = "at_risk", _("流失风险")
        LOST = "lost", _("已流失")
        REACTIVATED = "reactivated", _("回流")

    class ValueClass(models.TextChoices):
        HIGH = "high", _("高")
        MID = "mid", _("中")
        LOW = "low", _("低")

    class LoyaltyClass(models.TextChoices):
        LOYAL = "loyal", _("忠诚")
        GENERAL = "general", _("一般")
        LOST = "lost", _("流失")

    retailer = models.OneToOneField(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.PROTECT, related_name="+"
    )
    last_order_on = models.DateField(_("最近订货日"), null=True, blank=True)
    first_order_on = models.DateField(_("首次订货日"), null=True, blank=True)
    recency_days = models.PositiveIntegerField(_("距上次订货天数"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("订货次数"), default=0)
    monetary_fen = models.BigIntegerField(_("订货金额(分)"), default=0)
    cartons = models.PositiveIntegerField(_("订货条数"), default=0)
    avg_price_fen = models.PositiveIntegerField(_("单条值(分)"), default=0)
    trend_pct = models.IntegerField(_("近13周较前13周(%)"), null=True, blank=True)
    order_weeks = models.PositiveSmallIntegerField(_("应订货周中订货周数"), default=0)
    expected_weeks = models.PositiveSmallIntegerField(_("应订货周数"), default=0)
    missed_weeks = models.PositiveSmallIntegerField(_("缺订周数"), default=0)
    r_score = models.PositiveSmallIntegerField("R", validators=SCORE_RANGE)
    f_score = models.PositiveSmallIntegerField("F", validators=SCORE_RANGE)
    m_score = models.PositiveSmallIntegerField("M", validators=SCORE_RANGE)
    rfm_segment = models.CharField(_("RFM 分群"), max_length=12, choices=RfmSegment.choices)
    lifecycle = models.CharField(_("生命周期"), max_length=12, choices=Lifecycle.choices)
    value_class = models.CharField(_("价值等级"), max_length=4, choices=ValueClass.choices)
    loyalty_class = models.CharField(_("忠诚度"), max_length=8, choices=LoyaltyClass.choices)
    pareto_share = models.DecimalField(_("累计金额占比"), max_digits=5, decimal_places=4, default=0)
    is_top20 = models.BooleanField(_("前 20% 客户"), default=False)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("客户评分")
        verbose_name_plural = _("客户评分")
        ordering = ["-retailer_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(r_score__range=(1, 5), f_score__range=(1, 5), m_score__range=(1, 5)),
                name="retailerscore_rfm_1_5",
            ),
            models.CheckConstraint(
                condition=Q(monetary_fen__gte=0), name="retailerscore_monetary_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["lifecycle", "-retailer"], name="score_lifecycle"),
            models.Index(fields=["rfm_segment", "-retailer"], name="score_rfm_segment"),
            models.Index(fields=["value_class", "-retailer"], name="score_value_class"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.lifecycle} {self.rfm_segment}"

    @property
    def rfm_code(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"


class ScoreChange(models.Model):
    """One change of a class of one retailer by one run (append-only history)."""

    class Field(models.TextChoices):
        RFM_SEGMENT = "rfm_segment", _("RFM 分群")
        LIFECYCLE = "lifecycle", _("生命周期")
        VALUE_CLASS = "value_class", _("价值等级")
        LOYALTY_CLASS = "loyalty_class", _("忠诚度")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.CASCADE, related_name="+"
    )
    field = models.CharField(_("分类"), max_length=16, choices=Field.choices)
    old = models.CharField(_("原值"), max_length=16)
    new = models.CharField(_("新值"), max_length=16)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("分类变化")
        verbose_name_plural = _("分类变化")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "retailer", "field"], name="scorechange_once_per_run"),
        ]
        indexes = [models.Index(fields=["retailer", "-id"], name="scorechange_retailer")]

    def __str__(self):
        return f"{self.retailer_id} {self.field}: {self.old} → {self.new}"


class ScoringEvent(models.Model):
    """A lifecycle transition found by a run; campaigns and visits will subscribe to these."""

    class Kind(models.TextChoices):
        BECAME_AT_RISK = "became_at_risk", _("转为流失风险")
        BECAME_LOST = "became_lost", _("转为已流失")
        REACTIVATED = "reactivated", _("回流")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("客户状态事件")
        verbose_name_plural = _("客户状态事件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "retailer", "kind"], name="scoringevent_once_per_run"),
        ]
        indexes = [models.Index(fields=["kind", "-id"], name="scoringevent_kind")]

    def __str__(self):
        return f"{self.retailer_id} {self.kind}"
