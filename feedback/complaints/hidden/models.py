"""Calls made to retailers flagged as hidden complaints."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HiddenComplaintCall(models.Model):
    """A call made to a retailer flagged as a hidden complaint (orders fell, rated low, filed nothing)."""

    class Outcome(models.TextChoices):
        NO_ISSUE = "no_issue", _("无问题")
        COMPLAINT_FILED = "filed", _("已登记投诉")
        FOLLOW_UP = "follow_up", _("需再次跟进")
        UNREACHABLE = "unreachable", _("未接通")

    retailer = models.ForeignKey(
        "accounts.Retailer", verbose_name=_("零售户"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("原因"), max_length=300)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), on_delete=models.PROTECT, related_name="+"
    )
    called_at = models.DateTimeField(_("回访时间"))

    class Meta:
        verbose_name = _("隐性投诉回访")
        verbose_name_plural = _("隐性投诉回访")
        ordering = ["-called_at"]
        indexes = [models.Index(fields=["retailer", "-called_at"], name="hiddencall_retailer_recent")]

    def __str__(self):
        return f"{self.retailer_id} {self.outcome}"
