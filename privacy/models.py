"""A retailer's request under the Personal Information Protection Law (PIPL arts. 44–47, 50): to see its personal
data, to correct it or to delete it. Each is a case with a deadline in working days (PRIVACY_RESPONSE_WORKING_DAYS,
default 15). Every step is a PrivacyLog row (who, what, when, as a code with parameters: never a personal value);
every anonymised record has one RetailerAnonymisation with the statement of what was kept and why."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrivacyRequest(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("查阅复制")
        CORRECT = "correct", _("更正补充")
        DELETE = "delete", _("删除")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DONE = "done", _("已完成")
        REFUSED = "refused", _("已拒绝")

    class Channel(models.TextChoices):
        VISIT = "visit", _("走访")
        PHONE = "phone", _("电话")
        LETTER = "letter", _("书面")
        HOTLINE = "12313", _("12313")
        PORTAL = "portal", _("客户链接")

    retailer = models.ForeignKey(
        "accounts.Retailer",
        on_delete=models.PROTECT,
        related_name="privacy_requests",
        verbose_name=_("零售客户"),
    )
    kind = models.CharField(_("请求类型"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    channel = models.CharField(_("受理渠道"), max_length=10, choices=Channel.choices, default=Channel.VISIT)
    details = models.TextField(_("请求说明"), max_length=2000, blank=True)
    # field -> the corrected value (a correction request only); cleared when the record is anonymised
    corrections = models.JSONField(_("更正内容"), default=dict, blank=True)
    received_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    due_at = models.DateTimeField(_("答复期限"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("登记人")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("办理人"),
    )
    decided_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    refusal_reason = models.CharField(_("拒绝理由"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("个人信息请求")
        verbose_name_plural = _("个人信息请求")
        ordering = ["-received_at", "-id"]
        permissions = [
            ("approve_privacyrequest", _("批准删除个人信息")),
            ("export_privacyrequest", _("导出客户个人信息副本")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reason=""), name="privacy_refusal_has_reason"
            ),
            models.UniqueConstraint(
                fields=["retailer", "kind"],
                condition=Q(status="open"),
                name="privacy_one_open_request_per_kind",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="privacy_open_due")]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.retailer_id} · {self.received_at:%Y-%m-%d}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.OPEN and self.due_at is not None and self.due_at < timezone.now()


class PrivacyLog(models.Model):
    """One row per step (append-only): a code with parameters, rendered in the reader's language."""

    class Code(models.TextChoices):
        RECEIVED = "received", _("受理请求")
        EXPORTED = "exported", _("导出个人信息副本")
        CORRECTED = "corrected", _("已更正")
        APPROVED = "approved", _("批准删除")
        ANONYMISED = "anonymised", _("已匿名化")
        REFUSED = "refused", _("拒绝请求")
        RETENTION = "retention", _("保存期满匿名化")

    retailer = models.ForeignKey(
        "accounts.Retailer", on_delete=models.PROTECT, related_name="+", verbose_name=_("零售客户")
    )
    request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.PROTECT,
        related_name="log",
        null=True,
        blank=True,
        verbose_name=_("请求"),
    )
    code = models.CharField(_("步骤"), max_length=12, choices=Code.choices)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("个人信息操作记录")
        verbose_name_plural = _("个人信息操作记录")
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.get_code_display()} · {self.retailer_id} · {self.at:%Y-%m-%d %H:%M}"


class RetailerAnonymisation(models.Model):
    """A retailer whose personal data was erased, once: on a deletion request or when its closed record's retention
    ran out. `statement` lists, per model, what was cleared, what was kept and why."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("删除请求")
        RETENTION = "retention", _("保存期满")

    retailer = models.OneToOneField(
        "accounts.Retailer",
        on_delete=models.PROTECT,
        related_name="anonymisation",
        verbose_name=_("零售客户"),
    )
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    request = models.OneToOneField(
        PrivacyRequest, on_delete=models.PROTECT, related_name="anonymisation", null=True, blank=True
    )
    statement = models.JSONField(_("保留说明"), default=list)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("匿名化记录")
        verbose_name_plural = _("匿名化记录")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.retailer_id} · {self.get_reason_display()} · {self.at:%Y-%m-%d}"
