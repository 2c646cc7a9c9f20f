"""A visit the phone recorded offline for a shop that, by the time it synced, belonged to another manager. It is not
a Visit (the manager no longer serves the shop, so it must not count for them or the shop's new manager); it is
kept whole, photos included, for a supervisor to look at. Append-only; one row per idempotency key."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.messages import SystemText, system_message_field


class HeldVisit(models.Model):
    idempotency_key = models.UUIDField(_("提交标识"), unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="held_visits",
        verbose_name=_("客户经理"),
    )
    retailer = models.ForeignKey(
        "accounts.Retailer", on_delete=models.PROTECT, related_name="held_visits", verbose_name=_("零售客户")
    )
    payload = models.JSONField(_("提交内容"), default=dict)
    reason = models.CharField(_("未入账原因"), max_length=200, blank=True)  # rows held before the codes
    message = system_message_field()
    created_at = models.DateTimeField(_("收到时间"), auto_now_add=True)

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        RECORDED = "recorded", _("已入账")
        DISMISSED = "dismissed", _("不入账")

    status = models.CharField(
        _("处理结果"), max_length=10, choices=Status.choices, default=Status.OPEN, db_default=Status.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("处理人"),
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.CharField(_("处理说明"), max_length=500, blank=True, default="", db_default="")
    visit = models.OneToOneField(
        "visits.Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="held_from",
        verbose_name=_("入账的走访"),
    )

    class Meta:
        verbose_name = _("待主管处理的走访")
        verbose_name_plural = _("待主管处理的走访")
        ordering = ("-created_at",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open", decided_at__isnull=True)
                | models.Q(status="recorded", visit__isnull=False, decided_at__isnull=False)
                | models.Q(status="dismissed", visit__isnull=True, decided_at__isnull=False),
                name="held_visit_decision_consistent",
            )
        ]

    def __str__(self):
        return f"{self.retailer} · {self.manager} · {self.created_at:%Y-%m-%d %H:%M}"

    reason_display = SystemText("reason")


class HeldVisitPhoto(models.Model):
    held = models.ForeignKey(HeldVisit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to="held_visits/%Y/%m/")
    content_type = models.CharField(max_length=50)

    class Meta:
        verbose_name = _("照片")
        verbose_name_plural = _("照片")

    def __str__(self):
        return self.image.name
