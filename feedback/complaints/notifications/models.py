"""In-app notifications to staff about complaints (the navbar badge, the notifications page) and their emails."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.messages import SystemText, system_message_field
from feedback.complaints.models import Complaint


class Notification(models.Model):
    """An in-app message to one staff member (the navbar badge counts the unread ones)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", _("新分派")
        ESCALATED = "escalated", _("超时升级")
        REOPENED = "reopened", _("重新打开")
        LOW_RATING = "low_rating", _("低满意度")

    # read through notification_recipient (recipient, created_at, id): no index of its own
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("内容"), max_length=300, blank=True)
    message = system_message_field()
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient"),
        ]

    def __str__(self):
        return self.text_display

    text_display = SystemText("text")
