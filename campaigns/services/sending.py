"""Where a campaign is sent (campaign_send): its deliveries, in batches, exactly once; what one send task does
(campaign_send_and_hand_over) and how send tasks are started (send_tasks_enqueue).

Exactly once, step by step:
  1. launch writes one Delivery per (campaign, retailer, channel) with one INSERT … SELECT (a unique constraint
     makes a second launch a no-op); holdout rows are drawn there by a stable hash of (campaign, retailer)
     (campaigns.services.snapshot).
  2. a send task takes tokens from the global rate limit, then claims up to that many queued rows with one
     conditional UPDATE (queued → sending, FOR UPDATE SKIP LOCKED) that re-checks consent, opt-out, licence,
     status, quiet hours and the frequency cap and marks the refused rows skipped with their reason. The claim
     commits BEFORE the gateway is called (campaigns.services.claims).
  3. one gateway call sends the claimed batch, each message keyed by its Delivery id (the idempotency key).
  4. one set-based UPDATE records the answers (sending → sent / failed, or back to queued with a backoff).
A worker killed between 2 and 4 leaves rows in "sending"; after the lease they go back to the queue and are sent
again with the same key, which the gateway deduplicates (SMS). Email cannot be deduplicated by SMTP: a resend
carries the same Message-ID (see channels.email)."""

import datetime
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns import templating
from campaigns.channels import ACCEPTED, REJECTED, RETRY, OutgoingMessage, backend_for
from campaigns.models import Campaign, Channel, Delivery
from campaigns.ratelimit import send_bucket
from campaigns.services.claims import (
    Claimed,
    deliveries_claim,
    deliveries_defer_quiet,
    deliveries_release,
    in_quiet_hours,
)

SEND_BUDGET_SECONDS = (
    15.0  # a send task hands over to a fresh one after this long (± 20 %, so they never all at once)
)
# A send task that finds its next work further away than this leaves it to the minute tick; shorter waits
# re-enqueue with a countdown, always far below the broker's visibility timeout.
HAND_OVER_WITHIN_SECONDS = 60
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300


def campaign_context(campaign: Campaign) -> dict:
    """The campaign-wide template values: its link, promoted products and the journey's extras."""
    context = dict(campaign.context or {})
    context["link_url"] = campaign.link_url
    if "recommended_products" not in context:
        names = [str(p) for p in campaign.promoted_products.all()[:5]]
        context["recommended_products"] = "、".join(names)
    return context


def messages_build(
    *, campaign: Campaign, claimed: Claimed, context: dict
) -> tuple[list[OutgoingMessage], list[int]]:
    """The messages of a claimed batch, and the ids of the deliveries that cannot be sent because a variable
    another app provides has no value for that retailer (e.g. it answered the survey since it was queued)."""
    rendered = templating.render_many(
        template=campaign.template, recipients=claimed.sendable, context=context
    )
    messages, incomplete = [], []
    for recipient, message in zip(claimed.sendable, rendered, strict=True):
        if message.missing:
            incomplete.append(recipient.delivery_id)
            continue
        headers = {}
        if campaign.channel == Channel.EMAIL:
            link = templating.unsubscribe_url(recipient.delivery_id)
            headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        messages.append(
            OutgoingMessage(
                key=str(recipient.delivery_id),
                to=claimed.addresses[recipient.delivery_id],
                text=message.text,
                subject=message.subject,
                html=message.html,
                headers=headers,
            )
        )
    return messages, incomplete


def deliveries_skip_incomplete(*, ids: list[int]) -> int:
    """Claimed deliveries that will not be sent (no value for a provided variable) end skipped, not attempted."""
    if not ids:
        return 0
    return Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENDING).update(
        state=Delivery.State.SKIPPED, reason=Delivery.Reason.NO_VALUE, attempts=F("attempts") - 1
    )


_RECORD_SQL = """
UPDATE campaigns_delivery d
SET state = CASE
      WHEN v.status = 'accepted' THEN 'sent'
      WHEN v.status = 'rejected' THEN 'failed'
      WHEN d.attempts >= %(max_attempts)s THEN 'failed'
      ELSE 'queued' END,
    reason = CASE
      WHEN v.status = 'rejected' THEN 'rejected'
      WHEN v.status = 'retry' AND d.attempts >= %(max_attempts)s THEN 'attempts'
      ELSE '' END,
    error = v.error,
    provider_message_id = CASE WHEN v.status = 'accepted' THEN v.provider_id ELSE d.provider_message_id END,
    sent_at = CASE WHEN v.status = 'accepted' THEN now() ELSE d.sent_at END,
    not_before = CASE WHEN v.status = 'retry'
      THEN now() + make_interval(secs => least(%(retry_max)s, %(retry_base)s * power(2, d.attempts - 1)))
      ELSE d.not_before END
FROM unnest(%(ids)s::bigint[], %(statuses)s::text[], %(provider_ids)s::text[], %(errors)s::text[])
  AS v(id, status, provider_id, error)
WHERE d.id = v.id AND d.state = 'sending'"""


def deliveries_record(*, results) -> dict[str, int]:
    """Write the gateway's answers for one batch in one UPDATE; only rows still "sending" change."""
    if not results:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            _RECORD_SQL,
            {
                "ids": [int(r.key) for r in results],
                "statuses": [r.status for r in results],
                "provider_ids": [r.provider_id[:64] for r in results],
                "errors": [r.error[:255] for r in results],
                "max_attempts": settings.CAMPAIGNS_MAX_ATTEMPTS,
                "retry_base": RETRY_BASE_SECONDS,
                "retry_max": RETRY_MAX_SECONDS,
            },
        )
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return counts


@dataclass
class SendResult:
    sent: int = 0
    skipped: int = 0
    retry: int = 0
    failed: int = 0
    batches: int = 0
    next_in: float | None = None  # seconds until this campaign has due work again (None: nothing queued)


_NEXT_DUE_SQL = """
SELECT min(coalesce(not_before, now())) - now() FROM campaigns_delivery
WHERE campaign_id = %s AND state = 'queued'"""


def _next_due_in(campaign_id: int) -> float | None:
    with connection.cursor() as cursor:
        cursor.execute(_NEXT_DUE_SQL, [campaign_id])
        delta = cursor.fetchone()[0]
    return None if delta is None else max(0.0, delta.total_seconds())


def campaign_send(*, campaign_id: int, budget_seconds: float = SEND_BUDGET_SECONDS) -> SendResult:
    """Send a campaign: its due deliveries for up to `budget_seconds`, batch by batch. Safe to run in any
    number of workers at once and to run again after a crash: every row is claimed before it is sent."""
    result = SendResult()
    campaign = Campaign.objects.select_related("template").filter(pk=campaign_id).first()
    if campaign is None or campaign.state != Campaign.State.SENDING:
        return result
    now = timezone.now()
    # the heartbeat the minute tick reads; written at most every few seconds whatever the number of senders
    Campaign.objects.filter(pk=campaign_id).filter(
        Q(pumped_at__isnull=True) | Q(pumped_at__lt=now - datetime.timedelta(seconds=5))
    ).update(pumped_at=now)
    if in_quiet_hours(campaign, now):
        deliveries_defer_quiet(campaign=campaign, now=now)
        result.next_in = _next_due_in(campaign_id)
        return result
    backend = backend_for(campaign.channel)
    context = campaign_context(campaign)
    bucket = send_bucket()
    # a claim is never larger than a chunk of the bucket, so its tokens are taken in one go just before the call
    chunk = max(1, min(settings.CAMPAIGNS_BATCH_SIZE, bucket.chunk))
    deadline = time.monotonic() + budget_seconds * random.uniform(0.8, 1.2)  # noqa: S311 - not cryptography
    after_id = 0
    while time.monotonic() < deadline:
        claimed = deliveries_claim(campaign=campaign, limit=chunk, after_id=after_id)
        if not claimed.examined:
            break
        after_id = claimed.last_id
        result.batches += 1
        result.skipped += claimed.skipped
        if not claimed.sendable:
            continue
        messages, incomplete = messages_build(campaign=campaign, claimed=claimed, context=context)
        result.skipped += deliveries_skip_incomplete(ids=incomplete)
        if not messages:
            continue
        # The tokens are taken here, after the claim and the rendering, so that only the gateway call stands
        # between the grant and the carrier's receipt: the bucket's latency allowance covers that, not the
        # time a claim waits on the database (see campaigns/ratelimit.py).
        if bucket.acquire(len(messages), timeout=settings.CAMPAIGNS_SENDING_LEASE_SECONDS / 2) < len(
            messages
        ):
            deliveries_release(ids=[int(message.key) for message in messages])
            break
        answers = backend.send(messages)
        counts = deliveries_record(results=answers)
        result.sent += counts.get(ACCEPTED, 0)
        result.failed += counts.get(REJECTED, 0)
        result.retry += counts.get(RETRY, 0)
        if counts.get(RETRY):
            break  # the gateway is struggling: let the backoff pass before the next batch
    result.next_in = _next_due_in(campaign_id)
    if result.next_in is None:
        campaign_finish_if_drained(campaign_id=campaign_id)
    return result


def campaign_finish_if_drained(*, campaign_id: int) -> bool:
    """sending → done once no row is queued or being sent."""
    busy = Delivery.objects.filter(
        campaign_id=campaign_id, state__in=[Delivery.State.QUEUED, Delivery.State.SENDING]
    )
    if busy.exists():
        return False
    return bool(
        Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SENDING).update(
            state=Campaign.State.DONE, finished_at=timezone.now()
        )
    )


def send_tasks_enqueue(*, campaign_id: int, count: int | None = None, countdown: float | None = None) -> None:
    """Start send tasks for a campaign after the current transaction commits (`countdown`: seconds to wait)."""
    from campaigns.tasks import campaign_send_task

    count = settings.CAMPAIGNS_PUMPS_PER_CAMPAIGN if count is None else count

    def send():
        for _ in range(count):
            campaign_send_task.apply_async((campaign_id,), countdown=countdown)

    transaction.on_commit(send)


def campaign_send_and_hand_over(*, campaign_id: int) -> SendResult:
    """What one send task does: send for a few seconds (campaign_send), then hand over to a fresh task when the
    campaign's next due work is close; further away, the minute tick starts one (campaigns.services.ticks). In a
    worker's autocommit the hand-over is enqueued at once; inside a caller's transaction, only if it commits."""
    result = campaign_send(campaign_id=campaign_id)
    if result.next_in is not None and result.next_in <= HAND_OVER_WITHIN_SECONDS:
        send_tasks_enqueue(campaign_id=campaign_id, count=1, countdown=result.next_in or None)
    return result
