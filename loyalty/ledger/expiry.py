"""The nightly expiry of points past their date, and the notices of points about to expire."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.idempotency import idempotency_keys_expire
from loyalty.ledger.services import EXPIRE_SQL, ledger_lock, programme_get


def points_expire(*, today: datetime.date | None = None) -> dict:
    """The nightly expiry: every lot whose expiry date has passed, set-based, once per lot however often it
    runs. Also raises the "points expiring soon" events campaigns turn into notices.
    Returns {"lots", "points", "accounts", "notices"}."""
    today = today or timezone.localdate()
    with transaction.atomic(), connection.cursor() as cursor:
        ledger_lock(cursor)
        # Lock the accounts to change in id order before writing, as every multi-account writer does.
        cursor.execute(
            """
            SELECT a.id FROM loyalty_pointsaccount a
            WHERE a.id IN (SELECT e.account_id FROM loyalty_pointslot l JOIN loyalty_pointsentry e ON e.id = l.entry_id
                           WHERE l.remaining > 0 AND l.expires_on < %s)
            ORDER BY a.id FOR UPDATE
            """,
            [today],
        )
        cursor.execute(EXPIRE_SQL.format(account_filter=""), {"today": today})
        lots, points, accounts = cursor.fetchone()
    notices = points_expiry_notices_raise(as_of=today)
    return {"lots": lots, "points": int(points), "accounts": accounts, "notices": notices}


def points_expiry_notices_raise(*, as_of: datetime.date | None = None, within_days: int | None = None) -> int:
    """One "points expiring" event per retailer and expiry date, when points will expire within the notice
    days (campaigns follow these events and send the notice). Idempotent. Returns events raised."""
    as_of = as_of or timezone.localdate()
    within = programme_get().expiry_notice_days if within_days is None else within_days
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO loyalty_loyaltyevent (retailer_id, kind, ref_date, detail, at)
            SELECT a.retailer_id, 'points_expiring', l.expires_on,
                   jsonb_build_object('points', sum(l.remaining), 'expires_on', l.expires_on), now()
            FROM loyalty_pointslot l
            JOIN loyalty_pointsentry e ON e.id = l.entry_id
            JOIN loyalty_pointsaccount a ON a.id = e.account_id
            WHERE l.remaining > 0 AND l.expires_on >= %s AND l.expires_on <= %s
            GROUP BY a.retailer_id, l.expires_on
            ORDER BY a.retailer_id
            ON CONFLICT (retailer_id, kind, ref_date) WHERE kind = 'points_expiring' DO NOTHING
            """,
            [as_of, as_of + datetime.timedelta(days=within)],
        )
        return cursor.rowcount


def points_expire_nightly() -> dict:
    """The nightly run: the points past their date expire (points_expire), and the month-old idempotency keys
    (the answers replayed to retried API calls) are forgotten. Returns points_expire's figures and
    "idempotency_keys_forgotten"."""
    result = points_expire()
    result["idempotency_keys_forgotten"] = idempotency_keys_expire()
    return result
