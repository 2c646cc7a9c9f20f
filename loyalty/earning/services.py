"""The award: the points of every order not awarded yet, by every earn rule valid on its date, set-based and
exactly once (see points_award)."""

import datetime

import pgtrigger
from django.db import connection, transaction

from loyalty.ledger.services import accounts_open, ledger_lock, programme_get
from loyalty.referrals.services import referrals_grant

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
# order_id from sales_order read in this transaction (no code deletes an order, see ENTRY_KEYS in
# loyalty/ledger/models.py), every rule_id from a rule share-locked by this transaction until its commit, and
# every lot's entry_id from the RETURNING of the entries just written; the other keys (lot, reversed entry,
# user) are NULL on earn entries.
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


def orders_reward(*, first_order_id: int | None = None, last_order_id: int | None = None) -> dict:
    """Everything orders earn once they land: their points (points_award over the id range, every order not
    awarded yet when none is given), then the referrals they complete (referrals_grant). Both are idempotent.
    Returns points_award's figures and "referrals": how many referrals were rewarded."""
    result = points_award(first_order_id=first_order_id, last_order_id=last_order_id)
    result["referrals"] = referrals_grant()
    return result
