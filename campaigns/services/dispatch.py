"""The delivery engine: snapshot an audience into Delivery rows, send them in batches exactly once, recover what a
dead worker left behind.

Exactly once, step by step:
  1. launch writes one Delivery per (campaign, retailer, channel) with one INSERT … SELECT (a unique constraint
     makes a second launch a no-op); holdout rows are drawn there by a stable hash of (campaign, retailer).
  2. a send task takes tokens from the global rate limit, then claims up to that many queued rows with one
     conditional UPDATE (queued → sending, FOR UPDATE SKIP LOCKED) that re-checks consent, opt-out, licence,
     status, quiet hours and the frequency cap and marks the refused rows skipped with their reason. The claim
     commits BEFORE the gateway is called.
  3. one gateway call sends the claimed batch, each message keyed by its Delivery id (the idempotency key).
  4. one set-based UPDATE records the answers (sending → sent / failed, or back to queued with a backoff).
A worker killed between 2 and 4 leaves rows in "sending"; after the lease they go back to the queue and are sent
again with the same key, which the gateway deduplicates (SMS). Email cannot be deduplicated by SMTP: a resend
carries the same Message-ID (see channels.email)."""

import datetime
import hashlib
import logging
import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from campaigns import templating
from campaigns.channels import ACCEPTED, REJECTED, RETRY, OutgoingMessage, backend_for
from campaigns.models import Campaign, Channel, Delivery, Purpose
from campaigns.ratelimit import send_bucket
from core.db import queryset_sql

logger = logging.getLogger(__name__)

ADVISORY_NAMESPACE = (
    7231  # advisory lock key (namespace << 32) + retailer id: one claimer per retailer at a time
)
PUMP_BUDGET_SECONDS = (
    15.0  # a send task hands over to a fresh one after this long (± 20 %, so they never all at once)
)
RETRY_BASE_SECONDS = 5
RETRY_MAX_SECONDS = 300


# ---- holdout ------------------------------------------------------------------------------------------------------
def holdout_bucket(campaign_key: int, retailer_id: int) -> int:
    """0–9999, the same number the launch SQL computes: md5 of "campaign:retailer", first 32 bits, mod 10000."""
    digest = hashlib.md5(f"{campaign_key}:{retailer_id}".encode(), usedforsecurity=False).hexdigest()
    return int(digest[:8], 16) % 10000


def is_holdout(campaign_key: int, retailer_id: int, pct: int) -> bool:
    return holdout_bucket(campaign_key, retailer_id) < pct * 100


_SNAPSHOT_SQL = """
WITH audience AS ({audience}),
written AS (
  INSERT INTO campaigns_delivery
    (campaign_id, retailer_id, channel, state, reason, error, is_holdout, marketing, address, attempts,
     provider_message_id, created_at)
  SELECT %s, a.held_id, %s, CASE WHEN a.held THEN 'holdout' ELSE 'queued' END, '', '', a.held, %s, '', 0, '', now()
  FROM (
    SELECT audience.id AS held_id,
           (('x' || substr(md5(%s || ':' || audience.id), 1, 8))::bit(32)::bigint %% 10000) < %s AS held
    FROM audience
  ) a
  ON CONFLICT (campaign_id, retailer_id, channel) DO NOTHING
  RETURNING is_holdout
)
SELECT count(*), count(*) FILTER (WHERE is_holdout) FROM written"""


def deliveries_snapshot(*, campaign: Campaign, audience: QuerySet) -> tuple[int, int]:
    """Write the campaign's Delivery rows from `audience` (a Retailer queryset) in one INSERT … SELECT, limited
    to the campaign's org unit. Returns (rows written, of which holdout). Running it twice writes nothing new."""
    audience = audience.filter(org_unit__path__startswith=campaign.org_unit.path).values("id")
    audience_sql, audience_params = queryset_sql(audience)
    sql = _SNAPSHOT_SQL.format(audience=audience_sql)
    params = [
        *audience_params,
        campaign.pk,
        campaign.channel,
        campaign.purpose == Purpose.MARKETING,
        str(campaign.holdout_key),
        campaign.holdout_pct * 100,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        written, held = cursor.fetchone()
    return written, held


# ---- quiet hours --------------------------------------------------------------------------------------------------
def in_quiet_hours(campaign: Campaign, at: datetime.datetime) -> bool:
    start, end = campaign.quiet_start, campaign.quiet_end
    if start is None or end is None or start == end:
        return False
    now = timezone.localtime(at).time()
    if start > end:  # over midnight, e.g. 21:00–08:00
        return now >= start or now < end
    return start <= now < end


def quiet_hours_end(campaign: Campaign, at: datetime.datetime) -> datetime.datetime:
    """The first moment after `at` outside the campaign's quiet hours."""
    local = timezone.localtime(at)
    end = local.replace(
        hour=campaign.quiet_end.hour, minute=campaign.quiet_end.minute, second=0, microsecond=0
    )
    if end <= local:
        end += datetime.timedelta(days=1)
    return end


_QUIET_SQL = """
  (c.quiet_start IS NOT NULL AND c.quiet_end IS NOT NULL AND c.quiet_start <> c.quiet_end AND CASE
     WHEN c.quiet_start > c.quiet_end THEN
       (now() AT TIME ZONE %(tz)s)::time >= c.quiet_start OR (now() AT TIME ZONE %(tz)s)::time < c.quiet_end
     ELSE
       (now() AT TIME ZONE %(tz)s)::time >= c.quiet_start AND (now() AT TIME ZONE %(tz)s)::time < c.quiet_end
   END)"""

# ---- the claim ----------------------------------------------------------------------------------------------------
_CANDIDATES_SQL = f"""
SELECT d.id, d.retailer_id
FROM campaigns_delivery d
JOIN campaigns_campaign c ON c.id = d.campaign_id
WHERE d.campaign_id = %(campaign)s AND d.state = 'queued' AND d.id > %(after)s
  AND (d.not_before IS NULL OR d.not_before <= now())
  AND c.state = 'sending' AND NOT {_QUIET_SQL}
ORDER BY d.id
LIMIT %(limit)s
FOR UPDATE OF d SKIP LOCKED"""

# Every send-time rule in one statement; a refused row becomes "skipped" with its reason, never sent.
_CLAIM_SQL = """
WITH picked AS MATERIALIZED (
  SELECT d.id, d.retailer_id, d.channel, d.marketing FROM campaigns_delivery d
  WHERE d.id = ANY(%(ids)s) AND d.state = 'queued'
), checked AS MATERIALIZED (
  SELECT d.id,
    CASE
      WHEN r.status <> 'active' THEN 'inactive'
      WHEN r.licence_status <> 'valid' OR r.licence_expires_on < (now() AT TIME ZONE %(tz)s)::date
        THEN 'licence_invalid'
      WHEN d.channel = 'sms' AND NOT r.sms_consent
        THEN CASE WHEN r.sms_consent_at IS NULL THEN 'no_consent' ELSE 'opted_out' END
      WHEN d.channel = 'email' AND NOT r.email_consent
        THEN CASE WHEN r.email_consent_at IS NULL THEN 'no_consent' ELSE 'opted_out' END
      WHEN d.channel = 'email' AND r.email = '' THEN 'no_address'
      WHEN d.marketing AND (
        SELECT count(*) FROM campaigns_delivery x
        WHERE x.retailer_id = d.retailer_id AND x.marketing AND x.id <> d.id
          AND x.state IN ('sending', 'sent', 'delivered')
          AND x.claimed_at > now() - make_interval(days => %(cap_days)s)
      ) >= %(cap)s THEN 'frequency_cap'
      ELSE ''
    END AS skip,
    CASE WHEN d.channel = 'sms' THEN r.mobile ELSE r.email END AS address,
    r.shop_name, r.owner_name, r.tier, r.licence_expires_on,
    coalesce(nullif(u.display_name, ''), u.username, '') AS manager
  FROM picked d
  JOIN accounts_retailer r ON r.id = d.retailer_id
  LEFT JOIN users_route rt ON rt.id = r.route_id
  LEFT JOIN users_user u ON u.id = rt.manager_id
)
UPDATE campaigns_delivery d
SET state = CASE WHEN k.skip = '' THEN 'sending' ELSE 'skipped' END,
    reason = k.skip,
    address = k.address,
    claimed_at = now(),
    attempts = d.attempts + CASE WHEN k.skip = '' THEN 1 ELSE 0 END
FROM checked k
WHERE d.id = k.id
RETURNING d.id, d.state, d.retailer_id, d.address, k.shop_name, k.owner_name, k.tier, k.licence_expires_on,
          k.manager"""


@dataclass
class Claimed:
    examined: int
    sendable: list[templating.Recipient]
    addresses: dict[int, str]
    skipped: int
    last_id: int = 0


def deliveries_claim(*, campaign: Campaign, limit: int, after_id: int = 0) -> Claimed:
    """Claim up to `limit` due queued deliveries of a sending campaign (committed before returning), in id
    order from `after_id` on: a sender passes the last id it claimed, so it never rescans the rows already
    claimed behind it (rows that come back to the queue below that are found by the next send task)."""
    tz = settings.TIME_ZONE
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _CANDIDATES_SQL, {"campaign": campaign.pk, "limit": limit, "tz": tz, "after": after_id}
        )
        rows = cursor.fetchall()
        if not rows:
            return Claimed(0, [], {}, 0, after_id)
        if campaign.purpose == Purpose.MARKETING:
            # The frequency cap counts other campaigns' claims: one claimer per retailer at a time, taken in
            # retailer order so two claimers never wait on each other in a circle. The UPDATE below starts a
            # new snapshot after the locks, so it sees every claim committed before them.
            cursor.execute(
                "SELECT pg_advisory_xact_lock((%s::bigint << 32) + r) FROM unnest(%s::bigint[]) AS r ORDER BY r",
                [ADVISORY_NAMESPACE, sorted({rid for _id, rid in rows})],
            )
        cursor.execute(
            _CLAIM_SQL,
            {
                "ids": [row[0] for row in rows],
                "tz": tz,
                "cap": settings.CAMPAIGNS_FREQUENCY_CAP,
                "cap_days": settings.CAMPAIGNS_FREQUENCY_CAP_DAYS,
            },
        )
        claimed = cursor.fetchall()
    today = timezone.localdate()
    sendable, addresses, skipped = [], {}, 0
    for did, state, rid, address, shop, owner, tier, expires, manager in claimed:
        if state != Delivery.State.SENDING:
            skipped += 1
            continue
        addresses[did] = address
        sendable.append(
            templating.Recipient(
                delivery_id=did,
                retailer_id=rid,
                shop_name=shop,
                owner_name=owner,
                tier=tier,
                customer_manager=manager,
                licence_expires_on=expires,
                licence_days_left=(expires - today).days if expires else None,
            )
        )
    sendable.sort(key=lambda r: r.delivery_id)
    return Claimed(len(rows), sendable, addresses, skipped, max(row[0] for row in rows))


# ---- sending ------------------------------------------------------------------------------------------------------
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


def deliveries_release(*, ids: list[int]) -> int:
    """Claimed deliveries this sender will not send after all (no tokens in time) go back to the queue, the
    attempt not counted."""
    return Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENDING).update(
        state=Delivery.State.QUEUED, attempts=F("attempts") - 1
    )


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
class PumpResult:
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


def campaign_pump(*, campaign_id: int, budget_seconds: float = PUMP_BUDGET_SECONDS) -> PumpResult:
    """Send a sending campaign's due deliveries for up to `budget_seconds`, batch by batch. Safe to run in any
    number of workers at once and to run again after a crash: every row is claimed before it is sent."""
    result = PumpResult()
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


def deliveries_defer_quiet(*, campaign: Campaign, now: datetime.datetime) -> int:
    """Quiet hours: the campaign's queued rows wait for the morning (not_before = end of the quiet hours)."""
    until = quiet_hours_end(campaign, now)
    return (
        Delivery.objects.filter(campaign=campaign, state=Delivery.State.QUEUED)
        .exclude(not_before__gte=until)
        .update(not_before=until)
    )


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


# ---- recovery -----------------------------------------------------------------------------------------------------
_REQUEUE_STALE_SQL = """
UPDATE campaigns_delivery d SET state = 'queued', not_before = NULL
WHERE d.state = 'sending' AND d.claimed_at < clock_timestamp() - make_interval(secs => %s)
RETURNING d.campaign_id"""


def deliveries_requeue_stale() -> set[int]:
    """Rows left "sending" past the lease by a worker that died go back to the queue; they are sent again with
    the same idempotency key. Returns the campaigns concerned."""
    with connection.cursor() as cursor:
        cursor.execute(_REQUEUE_STALE_SQL, [settings.CAMPAIGNS_SENDING_LEASE_SECONDS])
        return {row[0] for row in cursor.fetchall()}


def pumps_enqueue(*, campaign_id: int, count: int | None = None) -> None:
    """Start send tasks for a campaign after the current transaction commits."""
    from campaigns.tasks import campaign_pump_task

    count = settings.CAMPAIGNS_PUMPS_PER_CAMPAIGN if count is None else count

    def send():
        for _ in range(count):
            campaign_pump_task.delay(campaign_id)

    transaction.on_commit(send)
