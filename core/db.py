"""SQL helpers every app shares."""

from django.db import connection


def tables_analyze(cursor, *tables: str) -> None:
    """ANALYZE `tables` on `cursor`'s connection, inside the caller's transaction.

    Call it after every bulk load (COPY, INSERT … SELECT) that a query in the same transaction follows. The
    planner otherwise plans that query with the statistics from before the load: a table last analyzed while
    empty, or while its rows were all dead, claims 0 rows however many pages it holds, and an anti-join of
    millions of fresh rows is then planned as a nested loop that runs for hours. ANALYZE in a transaction sees
    that transaction's own rows, so the statistics are right for the statements that follow.
    """
    if tables:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))


# Below this many new rows a load cannot mislead the planner enough to matter, and ANALYZE would cost more than
# the statements that follow it.
ANALYZE_AFTER_ROWS = 1000


def tables_analyze_after_load(cursor, rows: int, *tables: str) -> None:
    """`tables_analyze` when a load wrote at least ANALYZE_AFTER_ROWS rows."""
    if rows >= ANALYZE_AFTER_ROWS:
        tables_analyze(cursor, *tables)
