"""Triggered journeys: the messages sent on an event rather than to a saved segment."""

import datetime

import pghistory
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from campaigns.models.templates import Channel, MessageTemplate
from users.models import OrgUnit


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
