"""The retailer's own-page link texted at a staff member's request."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PortalLinkSend(models.Model):
    """A staff member had the retailer's own-page link texted to the shop's phone on record. Staff never see the
    link itself (it opens the retailer's complaints); this line says who asked, when, and to which (masked) number,
    so a link sent after a change of the shop's phone number can be traced."""

    retailer = models.ForeignKey(
        "accounts.Retailer", verbose_name=_("零售户"), on_delete=models.CASCADE, related_name="+"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发送人"), on_delete=models.PROTECT, related_name="+"
    )
    to_number = models.CharField(_("接收号码（脱敏）"), max_length=20)
    accepted = models.BooleanField(_("短信网关已接收"))
    error = models.CharField(_("错误"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), db_index=True)

    class Meta:
        verbose_name = _("服务页链接发送")
        verbose_name_plural = _("服务页链接发送")
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["retailer", "-sent_at"], name="portalsend_retailer_recent")]

    def __str__(self):
        return f"{self.retailer_id} {self.sent_at:%Y-%m-%d %H:%M}"
