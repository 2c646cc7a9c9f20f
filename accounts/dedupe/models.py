"""Duplicate retailers: candidate pairs and the scans that find them."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DuplicatePair(models.Model):
    """Two retailer records that may be one shop. Found by accounts.dedupe.services.duplicates_scan; a person decides:
    merge them, or mark them "not a duplicate" so the pair stops showing."""

    class Reason(models.TextChoices):
        PHONE = "phone", _("手机号相同")
        FUZZY = "fuzzy", _("店名和地址相近")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DISMISSED = "dismissed", _("不是重复")
        MERGED = "merged", _("已合并")

    first = models.ForeignKey("accounts.Retailer", on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey("accounts.Retailer", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    score = models.FloatField(_("相似度"), default=1.0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_open_by_score")]

    def __str__(self):
        return f"{self.first_id}~{self.second_id} {self.reason}"


class DuplicateScan(models.Model):
    """One run of the duplicate scan asked for from the data-quality page (the nightly run records none): the page
    shows its state while it runs and what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("检查中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    pairs_added = models.PositiveIntegerField(_("新发现"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("重复检查")
        verbose_name_plural = _("重复检查")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # at most one scan waiting or running: a second click joins the first
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status__in=["queued", "running"]),
                name="duplicatescan_one_active",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)
