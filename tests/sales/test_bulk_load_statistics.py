"""A bulk load followed by a query in the same transaction plans that query with the loaded rows, not with
statistics from before the load.

The trap (seen on a fresh machine): a table last analyzed while all its rows were dead has 0 tuples over N
pages in pg_class; rows then COPYed in the same transaction are unseen by autovacuum, so the planner keeps
estimating 0 rows and runs the seed's orphan check as a nested-loop anti-join (12+ minutes at demo size). The
test puts the tables into exactly that state, runs the demo load, and reads the plan of the check at the moment
it runs.
"""

import datetime

import pytest
from django.db import connection

from sales.demo import demo_orders_build, demo_products_build
from tests.accounts.factories import RetailerFactory

ORPHAN_CHECK = "LEFT JOIN sales_order o"


def _stale_empty_statistics(cursor, retailer_id: int) -> None:
    """pg_class says 0 rows over many pages in the month the seed writes next: rows written, deleted by this
    transaction, then analyzed."""
    cursor.execute("SELECT sales_history_partitions_ensure(DATE '2026-05-01', DATE '2026-05-01')")
    cursor.execute(
        "INSERT INTO sales_order (order_no, source, retailer_id, ordered_on, cartons, amount_fen, created_at) "
        "SELECT 'STALE' || g, 'online', %s, DATE '2026-05-04', 1, 1, now() FROM generate_series(1, 20000) g",
        [retailer_id],
    )
    cursor.execute(
        "INSERT INTO sales_orderline (order_id, ordered_on, product_id, cartons, unit_price_fen, amount_fen) "
        "SELECT o.id, o.ordered_on, (SELECT min(id) FROM sales_product), 1, 1, 1 FROM sales_order o "
        "WHERE o.order_no LIKE 'STALE%%'"
    )
    cursor.execute("DELETE FROM sales_orderline; DELETE FROM sales_order")
    cursor.execute("ANALYZE sales_order, sales_orderline")
    cursor.execute(
        "SELECT relname, reltuples, relpages FROM pg_class "
        "WHERE relname IN ('sales_order_p202605', 'sales_orderline_p202605')"
    )
    for name, tuples, pages in cursor.fetchall():
        assert tuples == 0, (name, tuples)
        assert pages > 0, (name, pages)


@pytest.mark.django_db
def test_the_seed_orphan_check_plans_with_the_rows_just_copied(route_a):
    retailers = RetailerFactory.create_batch(40, route=route_a)
    demo_products_build(today=datetime.date(2026, 6, 1))
    with connection.cursor() as cursor:
        _stale_empty_statistics(cursor, retailers[0].pk)

    plans = []

    def explain_the_check(execute, sql, params, many, context):
        if ORPHAN_CHECK in sql:
            cursor = context["cursor"].cursor  # the driver's cursor: no wrapper, no recursion
            cursor.execute("EXPLAIN " + sql, params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
            cursor.execute(  # the lines' month partitions (a partitioned table's own row holds no count)
                "SELECT sum(c.reltuples) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'sales_orderline'::regclass AND c.reltuples > 0",
            )
            plans.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_the_check):
        _orders, lines = demo_orders_build(weeks=8, today=datetime.date(2026, 6, 1))

    assert lines > 500
    assert plans, "the seed ran no orphan check"
    plan, estimated_lines = plans
    assert "Nested Loop" not in plan, plan
    assert "Anti Join" in plan, plan
    # the statistics the check ran with know about the rows loaded (ANALYZE samples, so not exact)
    assert estimated_lines >= lines * 0.5
