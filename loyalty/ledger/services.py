"""Every single-account write to the points ledger (credit, debit, redeem, adjust, reverse, the hand-over on a
merge) and what the set-based runs share (the advisory lock, opening accounts). The award is in
loyalty/earning/services.py, the nightly expiry in loyalty/ledger/expiry.py.

Locking: a single-account write locks that account's row first (select_for_update) and touches nothing of
another account. The set-based runs (award, expiry, level recompute) take one advisory lock, so they run one
at a time, and lock the accounts they change in id order before writing: no two writers can wait on each
other in a cycle. Lots are only changed under their account's lock."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from core.messages import system_message
from loyalty import system_texts as texts
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse
from loyalty.models import Programme
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
