"""Outreach: message templates, campaigns (a saved segment × template × channel × schedule), triggered journeys,
one delivery row per recipient (the send log), and the replies that come back from the SMS gateway."""

import datetime

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from sales.models import Product
from segmentation.models import Segment
from users.models import OrgUnit

QUIET_START_DEFAULT = datetime.time(21, 0)
QUIET_END_DEFAULT = datetime.time(8, 0)


class Channel(models.TextChoices):
    SMS = "sms", _("短信")
    EMAIL = "email", _("邮件")


class Purpose(models.TextChoices):
    """Marketing messages count toward the per-retailer frequency cap; service notices (licence reminders,
    supply notices) do not. Both need the retailer's consent for the channel."""

    MARKETING = "marketing", _("营销")
    NOTICE = "notice", _("服务通知")


@pghistory.track(pghistory.InsertEvent("created"), pghistory.UpdateEvent("updated"), exclude=["updated_at"])
class MessageTemplate(models.Model):
    """The text of a message with {{ variables }}. An SMS template is refused unless it starts with the
    configured 【signature】 and carries the opt-out wording; an email has a subject, an HTML and a text part."""

    name = models.CharField(_("名称"), max_length=100)
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(_("邮件主题"), max_length=150, blank=True)
    body = models.TextField(_("正文"), help_text=_("短信全文，或邮件的纯文本部分"))
    html_body = models.TextField(_("邮件 HTML 正文"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("消息模板")
        verbose_name_plural = _("消息模板")
        ordering = ["-updated_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "name"], name="template_name_per_unit")]

    def __str__(self):
        return f"{self.name}（{self.get_channel_display()}）"

    def get_absolute_url(self):
        return reverse("campaigns:template-edit", kwargs={"pk": self.pk})


@pghistory.track(pghistory.InsertEvent("created"), pghistory.UpdateEvent("updated"), exclude=["updated_at"])
class Journey(models.Model):
    """A triggered message (生日祝福, 节日问候, 许可证到期提醒…): switched on per org unit, run once a day at its
    send time; each day's (or each product's) recipients become one campaign occurrence."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("生日祝福")
        HOLIDAY = "holiday", _("节日问候")
        LICENCE_EXPIRY = "licence_expiry", _("许可证到期提醒")
        WELCOME = "welcome", _("新客户欢迎")
        WIN_BACK = "win_back", _("流失客户挽回")
        PRODUCT_WITHDRAWN = "product_withdrawn", _("品规退市通知")
        NEW_PRODUCT = "new_product", _("新品上市通知")
        SUPPLY_NOTICE = "supply_notice", _("每周货源通知")
        COMPLIANCE_REMINDER = "compliance", _("违规整改提醒")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    enabled = models.BooleanField(_("启用"), default=False)
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    template = models.ForeignKey(
        MessageTemplate,
        verbose_name=_("模板"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    send_time = models.TimeField(_("发送时间"), default=datetime.time(9, 0))
    holdout_pct = models.PositiveSmallIntegerField(
        _("对照组比例(%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    params = models.JSONField(_("参数"), default=dict, blank=True)
    last_run_on = models.DateField(_("最近运行日"), null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("自动触达")
        verbose_name_plural = _("自动触达")
        ordering = ["org_unit__path", "kind"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "kind"], name="journey_kind_per_unit")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.org_unit}"


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("updated"),
    exclude=["updated_at", "pumped_at", "recipient_count", "holdout_count"],
)
class Campaign(models.Model):
    """An outreach: audience snapshotted at launch into Delivery rows, sent by Celery workers in batches."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        APPROVED = "approved", _("已审批")
        SCHEDULED = "scheduled", _("待发送")
        SENDING = "sending", _("发送中")
        PAUSED = "paused", _("已暂停")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    class ScheduleKind(models.TextChoices):
        NOW = "now", _("审批后立即发送")
        AT = "at", _("定时发送")
        CRON = "cron", _("周期发送")

    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("目标客群"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("发送开始时按客群规则取当时的全部客户（快照）"),
    )
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices, default=Channel.SMS)
    purpose = models.CharField(_("性质"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    template = models.ForeignKey(
        MessageTemplate, verbose_name=_("模板"), on_delete=models.PROTECT, related_name="campaigns"
    )
    journey = models.ForeignKey(
        Journey,
        verbose_name=_("自动触达"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("周期活动"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="occurrences",
    )
    occurrence_key = models.CharField(_("批次"), max_length=40, blank=True)
    schedule_kind = models.CharField(
        _("发送时间"), max_length=5, choices=ScheduleKind.choices, default=ScheduleKind.NOW
    )
    send_at = models.DateTimeField(_("定时"), null=True, blank=True)
    cron = models.CharField(
        _("周期（cron）"),
        max_length=100,
        blank=True,
        help_text=_("分 时 日 月 周，例如 0 9 * * 1 表示每周一 9:00"),
    )
    next_run_at = models.DateTimeField(_("下次发送"), null=True, blank=True)
    holdout_pct = models.PositiveSmallIntegerField(
        _("对照组比例(%)"),
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(50)],
        help_text=_("随机留出不发送的客户比例，用于衡量效果"),
    )
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True, default=QUIET_START_DEFAULT)
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True, default=QUIET_END_DEFAULT)
    link_url = models.URLField(
        _("活动链接"), blank=True, help_text=_("模板中的 {{ link }} 变为可统计点击的短链接")
    )
    promoted_products = models.ManyToManyField(
        Product, verbose_name=_("推广品规"), blank=True, related_name="+"
    )
    conversion_days = models.PositiveSmallIntegerField(
        _("转化观察天数"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    context = models.JSONField(_("附加变量"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    launched_at = models.DateTimeField(_("开始发送"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("目标客户数"), default=0)
    holdout_count = models.PositiveIntegerField(_("对照组客户数"), default=0)
    pumped_at = models.DateTimeField(null=True, blank=True, editable=False)
    stats = models.JSONField(_("归档统计"), default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("营销活动")
        verbose_name_plural = _("营销活动")
        ordering = ["-created_at", "-id"]
        permissions = [("approve_campaign", _("审批营销活动"))]
        constraints = [
            models.CheckConstraint(condition=Q(holdout_pct__range=(0, 50)), name="campaign_holdout_0_50"),
            models.CheckConstraint(
                condition=~Q(schedule_kind="at") | Q(send_at__isnull=False), name="campaign_at_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(schedule_kind="cron") | ~Q(cron=""), name="campaign_cron_set"
            ),
            models.UniqueConstraint(
                fields=["journey", "occurrence_key"],
                condition=Q(journey__isnull=False),
                name="campaign_journey_occurrence_once",
            ),
            models.UniqueConstraint(
                fields=["parent", "occurrence_key"],
                condition=Q(parent__isnull=False),
                name="campaign_recurring_occurrence_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "send_at"], name="campaign_state_due"),
            models.Index(fields=["org_unit", "-created_at"], name="campaign_org_recent"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("campaigns:campaign-detail", kwargs={"pk": self.pk})

    @property
    def is_occurrence(self) -> bool:
        return self.journey_id is not None or self.parent_id is not None

    @property
    def holdout_key(self) -> int:
        """The id that seeds the holdout hash: a recurring campaign's occurrences hold out the same retailers."""
        return self.parent_id or self.pk


class Delivery(models.Model):
    """One message to one retailer on one channel within one campaign: the send log (kept ≥ 5 months).

    Life: queued → sending (claimed by a worker, before the gateway is called) → sent → delivered / failed /
    bounced; or skipped (reason) when a send-time check refuses it; holdout rows are never sent; cancelled when
    the campaign is. The row id is the idempotency key the gateway deduplicates on."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")
        BOUNCED = "bounced", _("退回")
        SKIPPED = "skipped", _("未发送")
        HOLDOUT = "holdout", _("对照组")
        CANCELLED = "cancelled", _("已取消")

    class Reason(models.TextChoices):
        OPTED_OUT = "opted_out", _("已退订")
        NO_CONSENT = "no_consent", _("未授权")
        LICENCE_INVALID = "licence_invalid", _("许可证无效或过期")
        INACTIVE = "inactive", _("客户非正常状态")
        FREQUENCY_CAP = "frequency_cap", _("超过发送频次上限")
        NO_ADDRESS = "no_address", _("没有手机号或邮箱")
        REJECTED = "rejected", _("网关拒收")
        ATTEMPTS = "attempts", _("多次重试失败")
        NO_VALUE = "no_value", _("缺少个性化内容（如问卷已答、无额度）")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices, blank=True)
    error = models.CharField(_("错误说明"), max_length=255, blank=True)
    is_holdout = models.BooleanField(_("对照组"), default=False)
    marketing = models.BooleanField(_("营销类"), default=True)
    address = models.CharField(_("发送地址"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    not_before = models.DateTimeField(_("最早发送"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("首次点击"), null=True, blank=True)
    provider_message_id = models.CharField(_("网关消息号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "retailer", "channel"], name="delivery_once_per_campaign_retailer"
            ),
            models.CheckConstraint(
                condition=~Q(state="holdout") | Q(is_holdout=True), name="delivery_holdout_flagged"
            ),
        ]
        indexes = [
            # the claim: the next queued rows of one campaign in id order
            models.Index(fields=["campaign", "id"], name="delivery_queued", condition=Q(state="queued")),
            models.Index(fields=["campaign", "state"], name="delivery_campaign_state"),
            # recovery of claims whose worker died
            models.Index(fields=["claimed_at"], name="delivery_sending", condition=Q(state="sending")),
            # the frequency cap: a retailer's recent marketing messages
            models.Index(
                fields=["retailer", "claimed_at"],
                name="delivery_marketing_recent",
                condition=Q(marketing=True, state__in=["sending", "sent", "delivered"]),
            ),
            models.Index(
                fields=["provider_message_id"],
                name="delivery_provider_id",
                condition=~Q(provider_message_id=""),
            ),
            models.Index(fields=["created_at"], name="delivery_created"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.campaign_id}→{self.retailer_id} {self.state}"


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


class InboundReply(models.Model):
    """A text a retailer sent back to our SMS number (received through the signed webhook)."""

    from_number = models.CharField(_("来信号码"), max_length=20, db_index=True)
    text = models.CharField(_("内容"), max_length=500)
    is_opt_out = models.BooleanField(_("退订"), default=False)
    retailers_opted_out = models.PositiveIntegerField(_("退订客户数"), default=0)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("短信回复")
        verbose_name_plural = _("短信回复")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.from_number}: {self.text[:20]}"


class SendBucket(models.Model):
    """The global send rate's token bucket when there is no Redis (campaigns/ratelimit.py): one row, taken from
    by one atomic UPDATE on the database's clock, so every worker on every machine shares it."""

    name = models.CharField(max_length=64, primary_key=True)
    tokens = models.FloatField()
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("发送令牌桶")
        verbose_name_plural = _("发送令牌桶")

    def __str__(self):
        return self.name
