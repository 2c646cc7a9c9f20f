"""What answers without a login: the SMS gateway's signed webhooks (delivery receipts, inbound replies) and the
retailer's own links (unsubscribe, tracked click). Every one of them changes nothing on bad input."""

import json
import logging

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from campaigns import templating
from campaigns.services import inbound
from core.links import link_rate_limited, link_view

logger = logging.getLogger(__name__)
MAX_WEBHOOK_BYTES = 1_000_000
MAX_ITEMS = 1000


def _verified_items(request, key: str):
    """The list under `key` of a signed JSON body, or a JsonResponse saying why not."""
    if len(request.body) > MAX_WEBHOOK_BYTES:
        return JsonResponse({"detail": "body too large"}, status=413)
    try:
        inbound.webhook_verify(
            body=request.body,
            timestamp=request.headers.get("X-Timestamp", ""),
            signature=request.headers.get("X-Signature", ""),
        )
    except inbound.WebhookRefusedError as exc:
        logger.warning("webhook refused from %s: %s", request.META.get("REMOTE_ADDR"), exc)
        return JsonResponse({"detail": str(exc)}, status=exc.status)
    try:
        items = json.loads(request.body)[key]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"detail": f'expected a JSON object {{"{key}": [...]}}'}, status=400)
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        return JsonResponse({"detail": f'"{key}" must be a list of at most {MAX_ITEMS} items'}, status=400)
    return items


@csrf_exempt
@require_POST
def sms_receipts_webhook(request):
    """POST {"receipts": [{"id": "<delivery id>", "message_id": "…", "status": "delivered|failed|bounced",
    "at": "ISO time", "error": "…"}]} signed like every webhook (X-Timestamp, X-Signature)."""
    items = _verified_items(request, "receipts")
    if isinstance(items, JsonResponse):
        return items
    try:
        updated = inbound.receipts_apply(receipts=items)
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"received": len(items), "updated": updated})


@csrf_exempt
@require_POST
def sms_replies_webhook(request):
    """POST {"replies": [{"from": "13800001234", "text": "T", "at": "ISO time"}]}: T / TD / 退订 opts out."""
    items = _verified_items(request, "replies")
    if isinstance(items, JsonResponse):
        return items
    replies = []
    for item in items:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("from"), str)
            or not isinstance(item.get("text"), str)
        ):
            return JsonResponse({"detail": 'each reply needs "from" and "text" strings'}, status=400)
        replies.append((item["from"], item["text"], parse_datetime(str(item.get("at") or ""))))
    opted_out = 0
    for number, text, at in replies:
        opted_out += inbound.reply_receive(from_number=number, text=text, received_at=at).retailers_opted_out
    return JsonResponse({"received": len(replies), "opted_out": opted_out})


def _too_many():
    response = HttpResponse(
        _("访问过于频繁，请稍后再试。"), status=429, content_type="text/plain; charset=utf-8"
    )
    response["Retry-After"] = "60"
    return response


@link_view(templating.UNSUBSCRIBE)
@csrf_exempt  # the signed code is the authority here, not a session; mail clients POST one-click unsubscribes
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request, code):
    if link_rate_limited(request=request, token=code):
        return _too_many()
    delivery = inbound.delivery_for_link(kind="u", code=code)
    if delivery is None:
        raise Http404
    if request.method == "POST":
        changed = inbound.unsubscribe(delivery=delivery)
        if request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse("unsubscribed", content_type="text/plain")
        return render(
            request, "campaigns/unsubscribe.html", {"delivery": delivery, "done": True, "changed": changed}
        )
    return render(request, "campaigns/unsubscribe.html", {"delivery": delivery, "done": False})


@link_view(templating.CLICK)
@require_http_methods(["GET", "HEAD"])
def click_view(request, code):
    if link_rate_limited(request=request, token=code):
        return _too_many()
    delivery = inbound.delivery_for_link(kind="l", code=code)
    if delivery is None or not delivery.campaign.link_url:
        raise Http404
    return HttpResponseRedirect(inbound.click_record(delivery=delivery))
