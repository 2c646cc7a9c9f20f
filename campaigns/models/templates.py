"""Message templates and the two things every message is: a channel and a purpose."""

import pghistory
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from users.models import OrgUnit


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
