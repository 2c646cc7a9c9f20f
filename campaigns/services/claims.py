"""Claiming deliveries before they are sent (step 2 of the exactly-once send, campaigns.services.sending): one
conditional UPDATE (queued → sending, FOR UPDATE SKIP LOCKED) re-checks consent, opt-out, licence, status, quiet hours
and the frequency cap, marks refused rows skipped with their reason and commits BEFORE the gateway is called. Also
what becomes of claims: released when no tokens came in time, deferred past quiet hours, requeued after a dead
worker's lease ran out."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from campaigns import templating
from campaigns.models import Campaign, Delivery, Purpose

ADVISORY_NAMESPACE = (
    7231  # advisory lock key (namespace << 32) + retailer id: one claimer per retailer at a time
)


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


def deliveries_release(*, ids: list[int]) -> int:
    """Claimed deliveries this sender will not send after all (no tokens in time) go back to the queue, the
    attempt not counted."""
    return Delivery.objects.filter(pk__in=ids, state=Delivery.State.SENDING).update(
        state=Delivery.State.QUEUED, attempts=F("attempts") - 1
    )


def deliveries_defer_quiet(*, campaign: Campaign, now: datetime.datetime) -> int:
    """Quiet hours: the campaign's queued rows wait for the morning (not_before = end of the quiet hours)."""
    until = quiet_hours_end(campaign, now)
    return (
        Delivery.objects.filter(campaign=campaign, state=Delivery.State.QUEUED)
        .exclude(not_before__gte=until)
        .update(not_before=until)
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
