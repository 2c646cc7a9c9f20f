"""What comes back from outside: delivery receipts and replies from the SMS gateway (signed webhooks), the
retailer's unsubscribe link and tracked clicks. A reply of T, TD or 退订 opts the number out at once."""

import datetime
import hashlib
import hmac
import re
import time

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from accounts.models import ConsentEvent, Retailer
from accounts.services import retailer_consent_set
from campaigns import templating
from campaigns.models import Delivery, InboundReply

OPT_OUT_WORDS = {"T", "TD", "退订", "T退订", "TD退订"}
RECEIPT_STATES = {
    "delivered": Delivery.State.DELIVERED,
    "failed": Delivery.State.FAILED,
    "bounced": Delivery.State.BOUNCED,
}


class WebhookRefusedError(Exception):
    """The request is not from our gateway (bad signature, stale timestamp) or not configured: answer 4xx/503."""

    def __init__(self, message: str, status: int = 403):
        super().__init__(message)
        self.status = status


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def webhook_verify(*, body: bytes, timestamp: str, signature: str, now: float | None = None) -> None:
    """HMAC-SHA256 over "{timestamp}.{body}" with CAMPAIGNS_WEBHOOK_SECRET, compared in constant time, and a
    timestamp no further than CAMPAIGNS_WEBHOOK_MAX_SKEW_SECONDS from now (a captured request cannot be replayed
    later)."""
    secret = settings.CAMPAIGNS_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefusedError("webhook secret not configured (SMS_WEBHOOK_SECRET)", status=503)
    if not timestamp or not timestamp.isdigit():
        raise WebhookRefusedError("missing or malformed X-Timestamp")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > settings.CAMPAIGNS_WEBHOOK_MAX_SKEW_SECONDS:
        raise WebhookRefusedError("timestamp outside the allowed window")
    expected = webhook_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature or ""):
        raise WebhookRefusedError("bad signature")


# ---- receipts -----------------------------------------------------------------------------------------------------
_RECEIPTS_SQL = """
UPDATE campaigns_delivery d
SET state = v.state,
    delivered_at = CASE WHEN v.state = 'delivered' THEN v.at ELSE d.delivered_at END,
    sent_at = coalesce(d.sent_at, v.at),
    error = CASE WHEN v.state = 'delivered' THEN d.error ELSE left(v.error, 255) END
FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::timestamptz[], %s::text[]) AS v(id, message_id, state, at, error)
WHERE d.id = v.id AND d.state IN ('sending', 'sent', 'delivered')
  AND (v.message_id = '' OR d.provider_message_id IN ('', v.message_id))"""


def receipts_apply(*, receipts: list[dict]) -> int:
    """Record delivery receipts ({"id": key, "message_id", "status": delivered|failed|bounced, "at", "error"}) in
    one UPDATE. Unknown ids and receipts for rows already final otherwise are ignored; a repeat changes nothing."""
    ids, message_ids, states, ats, errors = [], [], [], [], []
    for receipt in receipts:
        if not isinstance(receipt, dict):
            raise ValueError(_("回执格式不正确。"))
        key, status = str(receipt.get("id", "")), str(receipt.get("status", ""))
        if not key.isdigit() or status not in RECEIPT_STATES or len(key) > 18:
            raise ValueError(_("回执格式不正确：%(receipt)s") % {"receipt": str(receipt)[:100]})
        at = parse_datetime(str(receipt.get("at") or "")) or timezone.now()
        if timezone.is_naive(at):
            at = timezone.make_aware(at)
        ids.append(int(key))
        message_ids.append(str(receipt.get("message_id") or "")[:64])
        states.append(RECEIPT_STATES[status])
        ats.append(at)
        errors.append(str(receipt.get("error") or "")[:255])
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_RECEIPTS_SQL, [ids, message_ids, states, ats, errors])
        return cursor.rowcount


# ---- replies and opt-out ------------------------------------------------------------------------------------------
def mobile_from_gateway(number: str) -> str:
    digits = re.sub(r"\D", "", number or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def is_opt_out(text: str) -> bool:
    normalised = re.sub(r"[\s\W_]+", "", text or "").upper()
    return normalised in OPT_OUT_WORDS


def retailers_opt_out(*, retailers, channel: str, source: str) -> int:
    """Withdraw consent for each retailer (through accounts' consent service: logged with time and source)."""
    count = 0
    for retailer in retailers:
        if getattr(retailer, f"{channel}_consent") or getattr(retailer, f"{channel}_consent_at") is None:
            retailer_consent_set(actor=None, retailer=retailer, channel=channel, granted=False, source=source)
            count += 1
    return count


@transaction.atomic
def reply_receive(
    *, from_number: str, text: str, received_at: datetime.datetime | None = None
) -> InboundReply:
    mobile = mobile_from_gateway(from_number)
    opt_out = is_opt_out(text)
    opted = 0
    if opt_out and mobile:
        opted = retailers_opt_out(
            retailers=Retailer.objects.filter(mobile=mobile).order_by("pk"),
            channel=ConsentEvent.Channel.SMS,
            source=_("短信回复退订"),
        )
    return InboundReply.objects.create(
        from_number=mobile or from_number[:20],
        text=(text or "")[:500],
        is_opt_out=opt_out,
        retailers_opted_out=opted,
        received_at=received_at or timezone.now(),
    )


# ---- the retailer's links -----------------------------------------------------------------------------------------
def delivery_for_link(*, kind: str, code: str) -> Delivery | None:
    delivery_id = templating.link_code_parse(kind, code)
    if delivery_id is None:
        return None
    return Delivery.objects.select_related("retailer", "campaign").filter(pk=delivery_id).first()


def unsubscribe(*, delivery: Delivery) -> bool:
    """The retailer's signed link: withdraw consent for the channel the message came by. True if it changed."""
    return bool(
        retailers_opt_out(retailers=[delivery.retailer], channel=delivery.channel, source=_("退订链接"))
    )


def click_record(*, delivery: Delivery) -> str:
    """Note the first click and return where the link goes."""
    Delivery.objects.filter(pk=delivery.pk, clicked_at__isnull=True).update(clicked_at=timezone.now())
    return delivery.campaign.link_url
