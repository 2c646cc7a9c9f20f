"""A campaign: a saved segment × template × channel × schedule, and its life cycle."""

import datetime

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.journeys import Journey
from campaigns.models.templates import Channel, MessageTemplate, Purpose
from sales.models import Product
from segmentation.segments.models import Segment
from users.models import OrgUnit

QUIET_START_DEFAULT = datetime.time(21, 0)
QUIET_END_DEFAULT = datetime.time(8, 0)


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
