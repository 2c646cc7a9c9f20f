"""Scoring runs and their results: the thresholds runs classify by, each retailer's current RFM scores and classes,
the history of every change of class, and the transitions other apps subscribe to. The rules are documented in
segmentation.scoring.measures (SCORE_SQL)."""

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
    min_peer_group = models.PositiveSmallIntegerField(
        _("同组最少客户数"),
        default=10,
        validators=[MinValueValidator(1)],
        help_text=_(
            "F、M 得分在“营销部×业态”内比较；有订货的客户少于此数时，改与上级单位同业态比较，再到全公司。"
        ),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("生命周期与分级规则")
        verbose_name_plural = _("生命周期与分级规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(lost_weeks__gt=F("at_risk_weeks")), name="lifecycle_lost_after_risk"
            ),
            # a return window no longer than the gap that makes a retailer lost holds at most one return
            models.CheckConstraint(
                condition=Q(reactivated_weeks__lte=F("lost_weeks")), name="lifecycle_return_within_lost"
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
                "min_peer_group",
            )
        }


# the steps of a run as they are timed in stats["timings"], in their order
STEP_LABELS = {
    "measures": _("指标与分类"),
    "changes": _("变化记录"),
    "events": _("事件"),
    "write": _("写入"),
    "stats": _("统计"),
    "clusters": _("聚类"),
    "churn": _("流失预测"),
    "scores_update": _("写入聚类与流失"),
    "recommendations": _("推荐"),
}


class ScoringRun(models.Model):
    """One scoring of every retailer. At most one run is queued or running (a partial unique index)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class ChurnStatus(models.TextChoices):
        TRAINED = "trained", _("已训练")
        TOO_LITTLE_HISTORY = "too_little_history", _("历史数据不足，未训练")

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
    churn_status = models.CharField(_("流失模型"), max_length=20, choices=ChurnStatus.choices, blank=True)
    churn_auc = models.FloatField(_("流失模型 AUC（留出集）"), null=True, blank=True)
    churn_baseline_auc = models.FloatField(_("仅按未订货天数的 AUC（留出集）"), null=True, blank=True)
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

    @property
    def step_timings(self) -> list[tuple[str, float]]:
        """(step name, seconds) in the order the run takes them; unknown steps (added later) last."""
        timings = (self.stats or {}).get("timings") or {}
        order = list(STEP_LABELS)
        steps = sorted(timings, key=lambda s: (order.index(s) if s in order else len(order), s))
        return [(str(STEP_LABELS.get(s, s)), timings[s]) for s in steps]


class RetailerScore(models.Model):
    """A retailer's current scores and classes, replaced by every run (INSERT … ON CONFLICT)."""

    class ChurnReason(models.TextChoices):
        RECENCY = "recency", _("久未订货")
        FEWER_ORDERS = "fewer_orders", _("订货周数减少")
        SMALLER_ORDERS = "smaller_orders", _("订货量下降")
        IRREGULAR = "irregular", _("订货不规律")
        SHORT_HISTORY = "short_history", _("订货时间短")
        LOW_VALUE = "low_value", _("订货量小、单条值低")

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
    # no index on run: every run rewrites run_id on every row, and an index on it would stop PostgreSQL from
    # updating the rows in place (HOT); the table is kept half empty (fillfactor 50, migration 0003) for that
    run = models.ForeignKey(
        ScoringRun, verbose_name=_("评分批次"), on_delete=models.PROTECT, related_name="+", db_index=False
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
    # The peer group F and M were scored in: the retailer's unit × format, or — when that had fewer buyers than the
    # rule's min_peer_group — the nearest unit above × format, then the company (peer_format blank: all formats).
    # No index (rows are rewritten in place by every run, see `run`).
    peer_unit = models.ForeignKey(
        "users.OrgUnit",
        verbose_name=_("比较单位"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    peer_format = models.CharField(_("比较业态"), max_length=1, blank=True, default="")
    peer_level = models.PositiveSmallIntegerField(
        _("比较层级"), default=0, help_text=_("0 为本单位同业态；1 为上一级单位；依此类推。")
    )
    peer_size = models.PositiveIntegerField(_("比较组客户数"), default=0)
    cluster = models.ForeignKey(
        "segmentation.ClusterProfile",
        verbose_name=_("客户群"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    churn_probability = models.FloatField(_("流失概率"), null=True, blank=True)
    # a database default: the run's upsert inserts rows without the ML columns, which the ML stage fills after
    churn_reason = models.CharField(
        _("流失主要原因"), max_length=16, choices=ChurnReason.choices, blank=True, db_default=""
    )
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
            models.CheckConstraint(
                condition=Q(churn_probability__isnull=True) | Q(churn_probability__range=(0, 1)),
                name="retailerscore_churn_probability_0_1",
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
    """A transition of a retailer that other apps react to (campaign journeys, the CM's daily list): lifecycle
    changes and licence-expiry thresholds found by a scoring run, and tier changes written by the tier engine.

    Append-only. Consumers read them in id order after a cursor they keep themselves
    (scoring.selectors.scoring_events_after), so a consumer that crashes resumes where it stopped and no event is lost.
    A licence event is raised once per licence expiry date and threshold (`ref_date` = the expiry date)."""

    class Kind(models.TextChoices):
        BECAME_AT_RISK = "became_at_risk", _("转为流失风险")
        BECAME_LOST = "became_lost", _("转为已流失")
        REACTIVATED = "reactivated", _("回流")
        TIER_CHANGED = "tier_changed", _("档位调整")
        LICENCE_EXPIRING_90 = "licence_expiring_90", _("许可证 90 天内到期")
        LICENCE_EXPIRING_60 = "licence_expiring_60", _("许可证 60 天内到期")
        LICENCE_EXPIRING_30 = "licence_expiring_30", _("许可证 30 天内到期")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("评分批次"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("档位调整事件不属于评分批次。"),
    )
    kind = models.CharField(_("事件"), max_length=24, choices=Kind.choices)
    ref_date = models.DateField(_("相关日期"), null=True, blank=True, help_text=_("许可证事件：有效期至。"))
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("客户状态事件")
        verbose_name_plural = _("客户状态事件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "retailer", "kind"], name="scoringevent_once_per_run"),
            models.UniqueConstraint(
                fields=["retailer", "kind", "ref_date"],
                condition=Q(ref_date__isnull=False),
                name="scoringevent_once_per_licence",
            ),
        ]
        indexes = [models.Index(fields=["kind", "-id"], name="scoringevent_kind")]

    def __str__(self):
        return f"{self.retailer_id} {self.kind}"
