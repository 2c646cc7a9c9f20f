"""The send log (one Delivery per recipient), the replies that come back, and the send rate's token bucket."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from campaigns.models.campaigns import Campaign
from campaigns.models.templates import Channel


class Delivery(models.Model):
    """One message to one retailer on one channel within one campaign: the send log (kept ≥ 5 months).

    Life: queued → sending (claimed by a worker, before the gateway is called) → sent → delivered / failed /
    bounced; or skipped (reason) when a send-time check refuses it; holdout rows are never sent; cancelled when
    the campaign is. The row id is the idempotency key the gateway deduplicates on."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        DELIVERED = "delivered", _("已送达")
        FAILED = "failed", _("失败")
        BOUNCED = "bounced", _("退回")
        SKIPPED = "skipped", _("未发送")
        HOLDOUT = "holdout", _("对照组")
        CANCELLED = "cancelled", _("已取消")

    class Reason(models.TextChoices):
        OPTED_OUT = "opted_out", _("已退订")
        NO_CONSENT = "no_consent", _("未授权")
        LICENCE_INVALID = "licence_invalid", _("许可证无效或过期")
        INACTIVE = "inactive", _("客户非正常状态")
        FREQUENCY_CAP = "frequency_cap", _("超过发送频次上限")
        NO_ADDRESS = "no_address", _("没有手机号或邮箱")
        REJECTED = "rejected", _("网关拒收")
        ATTEMPTS = "attempts", _("多次重试失败")
        NO_VALUE = "no_value", _("缺少个性化内容（如问卷已答、无额度）")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("渠道"), max_length=5, choices=Channel.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices, blank=True)
    error = models.CharField(_("错误说明"), max_length=255, blank=True)
    is_holdout = models.BooleanField(_("对照组"), default=False)
    marketing = models.BooleanField(_("营销类"), default=True)
    address = models.CharField(_("发送地址"), max_length=254, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    not_before = models.DateTimeField(_("最早发送"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("首次点击"), null=True, blank=True)
    provider_message_id = models.CharField(_("网关消息号"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("发送记录")
        verbose_name_plural = _("发送记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "retailer", "channel"], name="delivery_once_per_campaign_retailer"
            ),
            models.CheckConstraint(
                condition=~Q(state="holdout") | Q(is_holdout=True), name="delivery_holdout_flagged"
            ),
        ]
        indexes = [
            # the claim: the next queued rows of one campaign in id order
            models.Index(fields=["campaign", "id"], name="delivery_queued", condition=Q(state="queued")),
            models.Index(fields=["campaign", "state"], name="delivery_campaign_state"),
            # recovery of claims whose worker died
            models.Index(fields=["claimed_at"], name="delivery_sending", condition=Q(state="sending")),
            # the frequency cap: a retailer's recent marketing messages
            models.Index(
                fields=["retailer", "claimed_at"],
                name="delivery_marketing_recent",
                condition=Q(marketing=True, state__in=["sending", "sent", "delivered"]),
            ),
            models.Index(
                fields=["provider_message_id"],
                name="delivery_provider_id",
                condition=~Q(provider_message_id=""),
            ),
            models.Index(fields=["created_at"], name="delivery_created"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.campaign_id}→{self.retailer_id} {self.state}"


class InboundReply(models.Model):
    """A text a retailer sent back to our SMS number (received through the signed webhook)."""

    from_number = models.CharField(_("来信号码"), max_length=20, db_index=True)
    text = models.CharField(_("内容"), max_length=500)
    is_opt_out = models.BooleanField(_("退订"), default=False)
    retailers_opted_out = models.PositiveIntegerField(_("退订客户数"), default=0)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("短信回复")
        verbose_name_plural = _("短信回复")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.from_number}: {self.text[:20]}"


class SendBucket(models.Model):
    """The global send rate's token bucket when there is no Redis (campaigns/ratelimit.py): one row, taken from
    by one atomic UPDATE on the database's clock, so every worker on every machine shares it."""

    name = models.CharField(max_length=64, primary_key=True)
    tokens = models.FloatField()
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("发送令牌桶")
        verbose_name_plural = _("发送令牌桶")

    def __str__(self):
        return self.name
