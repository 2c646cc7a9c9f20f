"""Every write to the points ledger: award (set-based), redeem, expire (set-based), reverse, adjust.

Locking: a single-account write locks that account's row first (select_for_update) and touches nothing of
another account. The set-based runs (award, expiry, level recompute) take one advisory lock, so they run one
at a time, and lock the accounts they change in id order before writing: no two writers can wait on each
other in a cycle. Lots are only changed under their account's lock."""

import datetime

import pgtrigger
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from core.messages import system_message
from loyalty import system_texts as texts
from loyalty.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse, Programme
from users.models import User

# pg_advisory_xact_lock key of the set-based ledger runs ("LOY" + 1)
LEDGER_LOCK_KEY = 0x4C4F5901
ADJUST_PERMISSION = "loyalty.adjust_points"
MAX_ADJUST_POINTS = 1_000_000


def programme_get() -> Programme:
    """The programme's settings row, created with the defaults the first time it is asked for."""
    programme = Programme.objects.order_by("pk").first()
    if programme is None:
        programme, _created = Programme.objects.get_or_create(pk=1)
    return programme


def points_expiry_date(*, earned_on: datetime.date, programme: Programme | None = None) -> datetime.date:
    """Points earned in year Y expire at the end of year Y + N (N = 1: the end of the next calendar year)."""
    years = (programme or programme_get()).expiry_years
    return datetime.date(earned_on.year + years, 12, 31)


def ledger_lock(cursor) -> None:
    """Serialise the set-based runs (released at the end of the transaction)."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])


def accounts_open(cursor, *, retailer_ids_sql: str, params=()) -> None:
    """Open an account (balance 0) for each retailer id the SQL yields that has none yet."""
    cursor.execute(
        f"""
        INSERT INTO loyalty_pointsaccount (retailer_id, balance, rolling_amount_fen, rolling_orders,
                                           created_at, updated_at)
        SELECT DISTINCT x.retailer_id, 0, 0, 0, now(), now() FROM ({retailer_ids_sql}) x
        WHERE NOT EXISTS (SELECT 1 FROM loyalty_pointsaccount a WHERE a.retailer_id = x.retailer_id)
        ORDER BY x.retailer_id
        ON CONFLICT (retailer_id) DO NOTHING
        """,
        params,
    )


def account_lock(*, retailer_id: int) -> PointsAccount:
    """The retailer's account, opened if needed, locked for the rest of the transaction."""
    with connection.cursor() as cursor:
        accounts_open(cursor, retailer_ids_sql="SELECT %s::bigint AS retailer_id", params=[retailer_id])
    return (
        PointsAccount.objects.select_for_update(of=("self",))
        .select_related("level")
        .get(retailer_id=retailer_id)
    )


def _balance_change(account: PointsAccount, delta: int) -> None:
    now = timezone.now()
    PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + delta, updated_at=now)
    account.balance += delta
    account.updated_at = now


def credit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    expires_on: datetime.date,
    user: User | None = None,
    note: str = "",
    message: dict | None = None,
    reverses: PointsEntry | None = None,
) -> PointsEntry:
    """Add `points` (> 0) as a new lot. The account must be locked (account_lock). `note` is a person's words,
    `message` what the system says (core.messages)."""
    entry = PointsEntry.objects.create(
        account=account,
        kind=kind,
        points=points,
        expires_on=expires_on,
        created_by=user,
        note=note[:200],
        message=message,
        reverses=reverses,
    )
    PointsLot.objects.create(entry=entry, amount=points, remaining=points, expires_on=expires_on)
    _balance_change(account, points)
    return entry


# Take :points from the account's open lots, the one that expires first first (a preferred lot before all:
# reversing a credit takes back from its own lot), and record which lots gave how much.
CONSUME_SQL = """
    WITH ordered AS (
      SELECT l.entry_id, l.remaining,
             sum(l.remaining) OVER (ORDER BY coalesce(l.entry_id = %(prefer)s, false) DESC, l.expires_on, l.entry_id)
               AS upto
      FROM loyalty_pointsentry e JOIN loyalty_pointslot l ON l.entry_id = e.id
      WHERE e.account_id = %(account)s AND l.remaining > 0
    ), take AS (
      SELECT entry_id, least(remaining, %(points)s - (upto - remaining)) AS used
      FROM ordered WHERE upto - remaining < %(points)s
    ), used AS (
      UPDATE loyalty_pointslot l SET remaining = l.remaining - t.used FROM take t WHERE l.entry_id = t.entry_id
      RETURNING l.entry_id, t.used
    ), logged AS (
      INSERT INTO loyalty_pointslotuse (entry_id, lot_id, points) SELECT %(entry)s, entry_id, used FROM used
      RETURNING points
    )
    SELECT coalesce(sum(points), 0) FROM logged
"""


def debit(
    *,
    account: PointsAccount,
    kind: str,
    points: int,
    user: User | None = None,
    note: str = "",
    message: dict | None = None,
    reverses: PointsEntry | None = None,
    prefer_lot_id: int | None = None,
) -> PointsEntry:
    """Take `points` (> 0) from the lots, first in first out. The account must be locked (account_lock)."""
    if points > account.balance:
        raise ConflictError(
            _("积分不足：当前余额 %(balance)s，需要 %(points)s。")
            % {"balance": account.balance, "points": points}
        )
    entry = PointsEntry.objects.create(
        account=account,
        kind=kind,
        points=-points,
        created_by=user,
        note=note[:200],
        message=message,
        reverses=reverses,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            CONSUME_SQL, {"prefer": prefer_lot_id, "account": account.pk, "points": points, "entry": entry.pk}
        )
        taken = cursor.fetchone()[0]
    if taken != points:
        # The lots no longer add up to the balance: refuse rather than write a ledger that lies.
        raise IntegrityError(f"account {account.pk}: lots hold {taken} of the {points} points to take")
    _balance_change(account, -points)
    return entry


# ---- award -------------------------------------------------------------------------------------------------

# The orders to award (each with each active rule valid on its date), minus those already awarded, in one pass
# over the orders: with what the points need besides the lines (the account, the rule's terms, the level
# multiplier). A retailer without an account yet has account_id NULL here; the award opens those accounts next.
# The anti-join reads the (order, rule) index over this batch's order ids only (%(first)s..%(last)s), so its cost
# follows the batch, not the size of the ledger. The rules are those the award share-locked (%(rules)s), so
# none is deleted before the entries that name it are committed (see AWARD_ENTRIES_SQL).
AWARD_CANDIDATES_SQL = """
    CREATE TEMP TABLE _award ON COMMIT DROP AS
    SELECT o.id AS order_id, o.retailer_id, o.ordered_on, r.id AS rule_id, acc.id AS account_id, r.basis,
           r.points_per_unit, coalesce(r.max_points_per_order, 2147483647) AS cap,
           CASE WHEN r.uses_level_multiplier THEN coalesce(lv.points_multiplier, 1) ELSE 1 END AS level_multiplier
    FROM sales_order o
    JOIN loyalty_earnrule r ON r.is_active AND r.id = ANY(%(rules)s) AND o.ordered_on >= r.valid_from
                           AND (r.valid_to IS NULL OR o.ordered_on <= r.valid_to)
    LEFT JOIN loyalty_pointsaccount acc ON acc.retailer_id = o.retailer_id
    LEFT JOIN loyalty_membershiplevel lv ON lv.id = acc.level_id
    WHERE {where} AND o.id BETWEEN %(first)s AND %(last)s
      AND NOT EXISTS (SELECT 1 FROM loyalty_pointsentry e
                      WHERE e.order_id = o.id AND e.rule_id = r.id AND e.order_id BETWEEN %(first)s AND %(last)s)
"""

# Accounts opened by this award start at no level: multiplier 1.
AWARD_NEW_ACCOUNTS_SQL = """
    UPDATE _award a SET account_id = acc.id, level_multiplier = 1
    FROM loyalty_pointsaccount acc WHERE a.account_id IS NULL AND acc.retailer_id = a.retailer_id
"""

# Line multipliers that differ from 1, per rule, product and order day of this batch (a few hundred rows):
# the highest of the rule's product and price-class multipliers valid that day.
AWARD_MULTIPLIERS_SQL = """
    CREATE TEMP TABLE _award_mult ON COMMIT DROP AS
    SELECT d.rule_id, p.id AS product_id, d.day, (max(m.multiplier) * 100)::int AS hundredths
    FROM (SELECT DISTINCT rule_id, ordered_on AS day FROM _award) d
    JOIN loyalty_earnmultiplier m ON m.rule_id = d.rule_id
                                AND (m.valid_from IS NULL OR d.day >= m.valid_from)
                                AND (m.valid_to IS NULL OR d.day <= m.valid_to)
    JOIN sales_product p ON p.id = m.product_id OR p.price_class = m.price_class
    GROUP BY d.rule_id, p.id, d.day
"""

# The points of each order and rule. The lines are summed in integers (cartons and fen, each times its line
# multiplier in hundredths: exact, multipliers have two decimals), once per order; the decimal arithmetic then
# runs once per order:
#   points = min(cap, floor(sum over lines(units × line multiplier) × rate × level multiplier))
# The lines are read by the order index over the batch's id range and summed in a hash per (order, rule) in
# memory (AWARD_WORK_MEM): a sort of every line of the batch on disk cost more than the rest of the statement.
AWARD_POINTS_SQL = """
    CREATE TEMP TABLE _award_points ON COMMIT DROP AS
    SELECT a.order_id, a.rule_id, a.account_id,
           make_date(extract(year FROM a.ordered_on)::int + %(years)s, 12, 31) AS expires_on,
           least(floor(CASE WHEN a.basis = 'carton' THEN sum(l.cartons::bigint * coalesce(m.hundredths, 100)) / 100.0
                            ELSE sum(l.amount_fen * coalesce(m.hundredths, 100)) / 10000.0 END
                       * a.points_per_unit * a.level_multiplier), a.cap)::int AS points
    FROM _award a
    JOIN sales_orderline l ON l.order_id = a.order_id AND l.order_id BETWEEN %(first)s AND %(last)s
    LEFT JOIN _award_mult m ON m.rule_id = a.rule_id AND m.product_id = l.product_id AND m.day = a.ordered_on
    -- (order, rule) is the key of _award; its other columns ride along in the group instead of a join back
    GROUP BY a.order_id, a.rule_id, a.account_id, a.ordered_on, a.basis, a.points_per_unit, a.level_multiplier,
             a.cap
"""
# Memory for the points statement's hash of one (order, rule) per row: ~100 bytes × a week of a province's
# orders (~80k) fits; a larger batch (the nightly catch-up over all history) spills to disk as before.
AWARD_WORK_MEM = "64MB"

# The earn entries and their lots in one statement. A concurrent run cannot write the same entries (the
# advisory lock, then the anti-join of the candidates); were anything to, the unique (order, rule) constraint
# would fail the whole award and the task would run again: exactly once either way.
# The keys are right by construction, so the per-statement key checks (`entry_keys_exist`, `lot_keys_exist`,
# together as costly as the insert itself) are skipped for this statement only: every account_id comes from a
# join with loyalty_pointsaccount in this transaction (an account is never deleted: a trigger refuses it), every
# rule_id from a rule share-locked by this transaction until its commit, and every lot's entry_id from the
# RETURNING of the entries just written; the other keys (lot, reversed entry, user) are NULL on earn entries.
AWARD_ENTRIES_SQL = """
    WITH entries AS (
      INSERT INTO loyalty_pointsentry (account_id, kind, points, expires_on, order_id, rule_id, note, created_at)
      SELECT account_id, 'earn', points, expires_on, order_id, rule_id, '', now()
      FROM _award_points WHERE points > 0
      ORDER BY order_id, rule_id  -- ids follow the orders, so "newest first" lists the latest orders first
      RETURNING id, points, expires_on
    )
    INSERT INTO loyalty_pointslot (entry_id, amount, remaining, expires_on)
    SELECT id, points, points, expires_on FROM entries
"""
AWARD_KEYS_CHECKED_BY_CONSTRUCTION = (
    "loyalty.PointsEntry:entry_keys_exist",
    "loyalty.PointsLot:lot_keys_exist",
)

# Every balance in one UPDATE (the points just written, summed per account). The account table leaves room in
# each page (fillfactor, migration 0005), so a balance change is a heap-only update: no index is written.
AWARD_BALANCES_SQL = """
    UPDATE loyalty_pointsaccount acc SET balance = acc.balance + s.points, updated_at = now()
    FROM (SELECT account_id, sum(points)::int AS points FROM _award_points WHERE points > 0
          GROUP BY account_id) s
    WHERE acc.id = s.account_id
"""


def points_award(
    *,
    first_order_id: int | None = None,
    last_order_id: int | None = None,
    ordered_from: datetime.date | None = None,
    ordered_to: datetime.date | None = None,
) -> dict:
    """Award the points of every order in the id or date range (all orders when none is given: the nightly
    catch-up) that has not earned them yet, by every active earn rule valid on its order date.

    Set-based and exactly once: an (order, rule) pair earns once whatever the retries, re-imports or
    concurrent runs (the advisory lock, the anti-join, and the unique constraint behind them). Each earn opens a
    lot that expires at the end of the year N years after the order date. Returns {"orders", "entries",
    "points", "accounts"}."""
    where, params = ["true"], {}
    if first_order_id is not None:
        where.append("o.id >= %(from_id)s")
        params["from_id"] = first_order_id
    if last_order_id is not None:
        where.append("o.id <= %(to_id)s")
        params["to_id"] = last_order_id
    if ordered_from is not None:
        where.append("o.ordered_on >= %(from_day)s")
        params["from_day"] = ordered_from
    if ordered_to is not None:
        where.append("o.ordered_on <= %(to_day)s")
        params["to_day"] = ordered_to
    condition = " AND ".join(where)
    programme = programme_get()
    empty = {"orders": 0, "entries": 0, "points": 0, "accounts": 0}
    with transaction.atomic(), connection.cursor() as cursor:
        ledger_lock(cursor)
        # The rules this award may use, share-locked until the commit (see AWARD_ENTRIES_SQL).
        cursor.execute("SELECT id FROM loyalty_earnrule WHERE is_active ORDER BY id FOR KEY SHARE")
        rules = [row[0] for row in cursor.fetchall()]
        # the batch's order id range, as constants: the planner reads a week by index and all history by scan
        cursor.execute(f"SELECT min(o.id), max(o.id) FROM sales_order o WHERE {condition}", params)
        first, last = cursor.fetchone()
        if not rules or first is None:
            return empty
        cursor.execute(f"SET LOCAL work_mem = '{AWARD_WORK_MEM}'")
        cursor.execute(
            AWARD_CANDIDATES_SQL.format(where=condition),
            {**params, "first": first, "last": last, "rules": rules},
        )
        cursor.execute(
            "SELECT count(DISTINCT order_id), min(order_id), max(order_id), count(*) FILTER (WHERE account_id IS NULL) "
            "FROM _award"
        )
        orders, first, last, unopened = cursor.fetchone()
        if not orders:
            cursor.execute("DROP TABLE _award")
            return empty
        if unopened:
            accounts_open(cursor, retailer_ids_sql="SELECT retailer_id FROM _award WHERE account_id IS NULL")
            cursor.execute(AWARD_NEW_ACCOUNTS_SQL)
        cursor.execute("ANALYZE _award")
        cursor.execute(AWARD_MULTIPLIERS_SQL)
        cursor.execute("ANALYZE _award_mult")
        cursor.execute(AWARD_POINTS_SQL, {"years": programme.expiry_years, "first": first, "last": last})
        cursor.execute("ANALYZE _award_points")
        cursor.execute(
            "SELECT count(*), coalesce(sum(points), 0), count(DISTINCT account_id) FROM _award_points WHERE points > 0"
        )
        entries, points, accounts = cursor.fetchone()
        with pgtrigger.ignore(*AWARD_KEYS_CHECKED_BY_CONSTRUCTION):
            cursor.execute(AWARD_ENTRIES_SQL)
        cursor.execute(AWARD_BALANCES_SQL)
        cursor.execute("DROP TABLE _award, _award_mult, _award_points")
    return {"orders": orders, "entries": entries, "points": int(points), "accounts": accounts}


# ---- redeem, adjust, reverse ----------------------------------------------------------------------------------


def points_redeem(
    *,
    retailer_id: int,
    points: int,
    user: User | None = None,
    note: str = "",
    today: datetime.date | None = None,
) -> PointsEntry:
    """Take `points` from the retailer's balance (lots first in, first out); ConflictError if the balance is
    short. Lots past their expiry date are expired first, so only valid points are spent."""
    if points <= 0:
        raise ValidationError({"points": _("兑换积分必须大于 0。")})
    with transaction.atomic():
        account = account_lock(retailer_id=retailer_id)
        account_expire_due(account=account, today=today)
        return debit(account=account, kind=PointsEntry.Kind.REDEEM, points=points, user=user, note=note)


def points_adjust(*, retailer_id: int, points: int, user: User, reason: str) -> PointsEntry:
    """A manual correction (+ opens a lot expiring as if earned today; − takes from the lots FIFO)."""
    if not user.has_perm(ADJUST_PERMISSION):
        raise PermissionDenied(_("您没有调整积分的权限。"))
    errors = {}
    if not points or abs(points) > MAX_ADJUST_POINTS:
        errors["points"] = _("调整积分不能为 0，绝对值不超过 %(max)s。") % {"max": MAX_ADJUST_POINTS}
    if not reason.strip():
        errors["reason"] = _("请填写调整原因。")
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate()
    with transaction.atomic():
        account = account_lock(retailer_id=retailer_id)
        if points > 0:
            return credit(
                account=account,
                kind=PointsEntry.Kind.ADJUST,
                points=points,
                expires_on=points_expiry_date(earned_on=today),
                user=user,
                note=reason.strip(),
            )
        account_expire_due(account=account, today=today)
        return debit(
            account=account, kind=PointsEntry.Kind.ADJUST, points=-points, user=user, note=reason.strip()
        )


def points_reverse(
    *,
    entry_id: int,
    user: User | None,
    reason: str,
    allow_redemption: bool = False,
    message: dict | None = None,
) -> PointsEntry:
    """Correct an entry by a new entry of the opposite sign (the only way the ledger is corrected).

    - A credit (earn, referral, positive adjustment) is taken back, from its own lot first, then from the
      others first in first out; the part of it that has already expired is not taken twice.
    - A debit (redemption, expiry, negative adjustment) is given back as a new lot that keeps the latest
      expiry date of the lots it came from, but at least the programme's grace days from today.
    An entry is reversed at most once; a reversal is never reversed. A redemption's entry is reversed by
    cancelling the redemption (which calls this with allow_redemption)."""
    if user is not None and not allow_redemption and not user.has_perm(ADJUST_PERMISSION):
        raise PermissionDenied(_("您没有冲正积分的权限。"))
    original = PointsEntry.objects.select_related("account").get(pk=entry_id)
    if original.kind == PointsEntry.Kind.REVERSE:
        raise ConflictError(_("冲正记录不能再冲正。"))
    if original.kind == PointsEntry.Kind.REDEEM and not allow_redemption:
        raise ConflictError(_("兑换扣减的积分请通过“取消兑换”退还。"))
    note = (reason or "").strip()
    if not note and message is None:
        message = system_message(texts.REVERSED, id=original.pk)
    try:
        with transaction.atomic():
            account = account_lock(retailer_id=original.account.retailer_id)
            if PointsEntry.objects.filter(reverses=original).exists():
                raise ConflictError(_("这条记录已经冲正过了。"))
            today = timezone.localdate()
            account_expire_due(account=account, today=today)
            if original.points > 0:
                return _reverse_credit(
                    account=account, original=original, user=user, note=note, message=message, today=today
                )
            return _reverse_debit(
                account=account, original=original, user=user, note=note, message=message, today=today
            )
    except IntegrityError as exc:
        if "entry_reversed_at_most_once" in str(exc):
            raise ConflictError(_("这条记录已经冲正过了。")) from exc
        raise


def _reverse_credit(*, account, original, user, note, message, today) -> PointsEntry:
    expired = -sum(
        PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE, lot_id=original.pk).values_list(
            "points", flat=True
        )
    )
    points = original.points - expired
    if points <= 0:
        raise ConflictError(_("这笔积分已全部过期，无需冲正。"))
    return debit(
        account=account,
        kind=PointsEntry.Kind.REVERSE,
        points=points,
        user=user,
        note=note,
        message=message,
        reverses=original,
        prefer_lot_id=original.pk,
    )


def _reverse_debit(*, account, original, user, note, message, today) -> PointsEntry:
    if original.kind == PointsEntry.Kind.EXPIRE:
        latest = PointsLot.objects.filter(pk=original.lot_id).values_list("expires_on", flat=True).first()
    else:
        latest = PointsLotUse.objects.filter(entry=original).aggregate(latest=Max("lot__expires_on"))[
            "latest"
        ]
    floor = today + datetime.timedelta(days=programme_get().refund_grace_days)
    expires_on = max(latest or floor, floor)
    return credit(
        account=account,
        kind=PointsEntry.Kind.REVERSE,
        points=-original.points,
        expires_on=expires_on,
        user=user,
        note=note,
        message=message,
        reverses=original,
    )


# ---- expiry ------------------------------------------------------------------------------------------------

# Every open lot past its expiry date gets one expire entry (unique per lot: a second run, or a redemption
# that expired the account's lots first, makes it skip), is emptied, and its account's balance goes down.
EXPIRE_SQL = """
    WITH due AS (
      SELECT l.entry_id, e.account_id, l.remaining
      FROM loyalty_pointslot l JOIN loyalty_pointsentry e ON e.id = l.entry_id
      WHERE l.remaining > 0 AND l.expires_on < %(today)s {account_filter}
    ), entries AS (
      INSERT INTO loyalty_pointsentry (account_id, kind, points, lot_id, note, created_at)
      SELECT account_id, 'expire', -remaining, entry_id, '', now() FROM due ORDER BY account_id, entry_id
      ON CONFLICT (lot_id) WHERE kind = 'expire' DO NOTHING
      RETURNING account_id, lot_id, points
    ), emptied AS (
      UPDATE loyalty_pointslot l SET remaining = 0 FROM entries e WHERE l.entry_id = e.lot_id
    ), balances AS (
      UPDATE loyalty_pointsaccount a SET balance = a.balance + s.points, updated_at = now()
      FROM (SELECT account_id, sum(points)::int AS points FROM entries GROUP BY account_id) s
      WHERE a.id = s.account_id
    )
    SELECT count(*), coalesce(-sum(points), 0), count(DISTINCT account_id) FROM entries
"""


def account_expire_due(*, account: PointsAccount, today: datetime.date | None = None) -> int:
    """Expire the locked account's lots past their date (before it spends points). Returns points expired."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            EXPIRE_SQL.format(account_filter="AND e.account_id = %(account)s"),
            {"today": today, "account": account.pk},
        )
        _lots, points, _accounts = cursor.fetchone()
    if points:
        account.refresh_from_db(fields=["balance", "updated_at"])
    return int(points)


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


def points_transfer_on_merge(*, from_retailer_id: int, to_retailer_id: int) -> int:
    """A duplicate merged into its survivor hands over its open points: one adjustment out of the duplicate,
    and one into the survivor per expiry date, so no point changes its date. Returns the points moved."""
    message = system_message(texts.MERGED, a=from_retailer_id, b=to_retailer_id)
    with transaction.atomic():
        if not PointsAccount.objects.filter(retailer_id=from_retailer_id).exists():
            return 0
        first, second = sorted([from_retailer_id, to_retailer_id])
        locked = {first: account_lock(retailer_id=first), second: account_lock(retailer_id=second)}
        source, target = locked[from_retailer_id], locked[to_retailer_id]
        today = timezone.localdate()
        account_expire_due(account=source, today=today)
        lots = list(
            PointsLot.objects.filter(entry__account=source, remaining__gt=0)
            .values_list("expires_on")
            .annotate(points=models.Sum("remaining"))
            .order_by("expires_on")
        )
        moved = sum(points for _day, points in lots)
        if not moved:
            return 0
        debit(account=source, kind=PointsEntry.Kind.ADJUST, points=moved, message=message)
        for expires_on, points in lots:
            credit(
                account=target,
                kind=PointsEntry.Kind.ADJUST,
                points=points,
                expires_on=expires_on,
                message=message,
            )
        return moved
