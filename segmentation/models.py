"""Scoring runs and their results: each retailer's current RFM scores and classes, the history of every change of
class, and the lifecycle transitions other apps subscribe to. The rules are documented in services.SCORE_SQL."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from accounts.models import Retailer
from core.messages import SystemText, system_message_field

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
        ClusterProfile,
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


_SEG = RetailerScore.RfmSegment
_STAGE = RetailerScore.Lifecycle
# The RFM segments a lifecycle stage admits in the same run (services.SCORE_SQL makes R follow the lifecycle): a
# retailer ordering now is never "lost" or "at risk" by RFM, and a lost one is "lost" or, if it was a frequent big
# buyer, "cant_lose" (the portrait then says so: the one to win back).
RFM_BY_LIFECYCLE = {
    _STAGE.NEW: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.ACTIVE: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.REACTIVATED: {_SEG.NEW, _SEG.POTENTIAL, _SEG.LOYAL, _SEG.CHAMPIONS},
    _STAGE.AT_RISK: {_SEG.CANT_LOSE, _SEG.AT_RISK, _SEG.HIBERNATING},
    _STAGE.LOST: {_SEG.CANT_LOSE, _SEG.LOST},
}


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
    (selectors.scoring_events_after), so a consumer that crashes resumes where it stopped and no event is lost.
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


# ---- tiers (档位) ------------------------------------------------------------------------------------------------
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
        from django.core.exceptions import ValidationError

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


# ---- saved segments ----------------------------------------------------------------------------------------------
class Segment(models.Model):
    """A saved audience: a rule tree (see segmentation.rules for its format and the field catalogue) over the
    retailers of one org unit's subtree. Membership is never stored: it is evaluated in one SQL query whenever
    it is asked for (segmentation.selectors.segment_members), so a campaign snapshots it at launch."""

    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=500, blank=True)
    org_unit = models.ForeignKey(
        "users.OrgUnit", verbose_name=_("覆盖范围"), on_delete=models.PROTECT, related_name="+"
    )
    definition = models.JSONField(_("规则"), default=dict)
    is_archived = models.BooleanField(_("已归档"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("修改人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户分群")
        verbose_name_plural = _("客户分群")
        ordering = ["-updated_at", "-id"]
        constraints = [
            # an archived segment gives its name back, so a new one may take it
            models.UniqueConstraint(
                fields=["org_unit", "name"], condition=Q(is_archived=False), name="segment_name_per_org_unit"
            ),
        ]
        indexes = [models.Index(fields=["org_unit", "is_archived"], name="segment_org_unit")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("segmentation:segment-detail", kwargs={"pk": self.pk})

    def clean(self):
        from segmentation.rules import definition_validate  # the rules read these models

        try:
            self.definition = definition_validate(self.definition)
        except ValidationError as exc:
            raise ValidationError({"definition": exc.error_list}) from exc
