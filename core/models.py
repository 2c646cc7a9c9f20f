"""Tables of the base layer."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """A POST remembered with its response (core.idempotency): the same key again (a retry) gets the same
    response and changes nothing; the same key with another body or on another endpoint is refused (409)."""

    principal = models.CharField(_("调用方"), max_length=60, help_text=_("user:<id> 或 link:<零售客户id>"))
    key = models.CharField(_("幂等键"), max_length=100)
    endpoint = models.CharField(_("接口"), max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(_("响应状态"), null=True, blank=True)
    response = models.JSONField(_("响应"), null=True, blank=True)
    headers = models.JSONField(_("响应头"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="core_idempotency_key_once")]

    def __str__(self):
        return f"{self.principal} {self.key}"
