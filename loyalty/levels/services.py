"""Membership levels: the nightly recompute from the rolling purchase figures, set-based, with history."""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from loyalty.ledger.services import accounts_open, ledger_lock, programme_get


def level_window_start(*, as_of: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months - 1` months before as_of's month: the window is that many whole
    months, the current one included (to date)."""
    month_index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return datetime.date(month_index // 12, month_index % 12 + 1, 1)


# The level each account qualifies for: the highest active level whose thresholds its figures reach.
LEVEL_CONDITIONS = {
    "amount": "f.amount >= l.min_amount_fen",
    "orders": "f.orders >= l.min_orders",
    "either": "(f.amount >= l.min_amount_fen OR f.orders >= l.min_orders)",
    "both": "(f.amount >= l.min_amount_fen AND f.orders >= l.min_orders)",
}

RECOMPUTE_SQL = """
    CREATE TEMP TABLE _levels ON COMMIT DROP AS
    WITH figures AS (
      SELECT a.id AS account_id, a.retailer_id, a.level_id AS old_level,
             coalesce(s.amount, 0) AS amount, coalesce(s.orders, 0) AS orders
      FROM loyalty_pointsaccount a
      LEFT JOIN (SELECT retailer_id, sum(amount_fen) AS amount, sum(order_count) AS orders
                 FROM sales_retailerperiodsummary
                 WHERE period = 'month' AND period_start >= %(start)s AND period_start <= %(as_of)s
                 GROUP BY retailer_id) s ON s.retailer_id = a.retailer_id
    )
    SELECT f.*, (SELECT l.id FROM loyalty_membershiplevel l
                 WHERE l.is_active AND {condition} ORDER BY l.rank DESC LIMIT 1) AS new_level
    FROM figures f
"""


def level_recompute(*, as_of: datetime.date | None = None) -> dict:
    """Set every retailer's level from its purchases over the programme's window (the month summaries kept
    by the order imports): accounts are opened for retailers who bought in the window, levels changed where
    the figures say so, each change kept in LevelChange and raised as an event. Running it twice on the same
    day changes nothing the second time. Returns {"accounts", "changed"}."""
    as_of = as_of or timezone.localdate()
    programme = programme_get()
    start = level_window_start(as_of=as_of, months=programme.level_window_months)
    condition = LEVEL_CONDITIONS[programme.level_basis]
    with transaction.atomic(), connection.cursor() as cursor:
        ledger_lock(cursor)
        accounts_open(
            cursor,
            retailer_ids_sql="SELECT DISTINCT retailer_id FROM sales_retailerperiodsummary "
            "WHERE period = 'month' AND period_start >= %s AND period_start <= %s",
            params=[start, as_of],
        )
        cursor.execute(RECOMPUTE_SQL.format(condition=condition), {"start": start, "as_of": as_of})
        cursor.execute("SELECT count(*) FROM _levels")
        accounts = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO loyalty_levelchange (account_id, from_level_id, to_level_id, changed_on,
                                             rolling_amount_fen, rolling_orders, at)
            SELECT account_id, old_level, new_level, %(as_of)s, amount, orders, now() FROM _levels
            WHERE old_level IS DISTINCT FROM new_level ORDER BY account_id
            """,
            {"as_of": as_of},
        )
        changed = cursor.rowcount
        cursor.execute(
            """
            INSERT INTO loyalty_loyaltyevent (retailer_id, kind, ref_date, detail, at)
            SELECT v.retailer_id, 'level_changed', NULL,
                   jsonb_build_object('from', old.code, 'to', new.code,
                                      'up', coalesce(new.rank, -1) > coalesce(old.rank, -1)), now()
            FROM _levels v
            LEFT JOIN loyalty_membershiplevel old ON old.id = v.old_level
            LEFT JOIN loyalty_membershiplevel new ON new.id = v.new_level
            WHERE v.old_level IS DISTINCT FROM v.new_level ORDER BY v.retailer_id
            """
        )
        cursor.execute(
            """
            UPDATE loyalty_pointsaccount a
            SET level_id = v.new_level,
                level_since = CASE WHEN a.level_id IS DISTINCT FROM v.new_level THEN %(as_of)s ELSE a.level_since END,
                rolling_amount_fen = v.amount, rolling_orders = v.orders, level_computed_on = %(as_of)s
            FROM _levels v
            WHERE a.id = v.account_id
              AND (a.level_id, a.rolling_amount_fen, a.rolling_orders, a.level_computed_on)
                  IS DISTINCT FROM (v.new_level, v.amount, v.orders, %(as_of)s::date)
            """,
            {"as_of": as_of},
        )
        cursor.execute("DROP TABLE _levels")
    return {"accounts": accounts, "changed": changed}


def levels_rule_check(*, sample: int = 10) -> dict:
    """Membership levels the rule would change: for the accounts graded on the latest recompute day, the level their
    rolling figures of that day reach now (the same statement as level_recompute, into a temp table dropped again,
    nothing written). Returns {"as_of", "count", "sample"}."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT max(level_computed_on) FROM loyalty_pointsaccount")
        as_of = cursor.fetchone()[0]
        if as_of is None:
            return {"as_of": None, "count": 0, "sample": []}
        programme = programme_get()
        start = level_window_start(as_of=as_of, months=programme.level_window_months)
        condition = LEVEL_CONDITIONS[programme.level_basis]
        cursor.execute("DROP TABLE IF EXISTS _levels")
        cursor.execute(RECOMPUTE_SQL.format(condition=condition), {"start": start, "as_of": as_of})
        cursor.execute(
            """
            SELECT v.retailer_id FROM _levels v JOIN loyalty_pointsaccount a ON a.id = v.account_id
            WHERE a.level_computed_on = %s AND a.level_id IS DISTINCT FROM v.new_level ORDER BY 1
            """,
            [as_of],
        )
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("DROP TABLE _levels")
    return {"as_of": as_of, "count": len(ids), "sample": ids[:sample]}
