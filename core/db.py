"""SQL helpers every app shares."""

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.where import WhereNode


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


def queryset_sql(qs: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters of `qs`, to embed in raw SQL (`… IN (sql)`, a CTE, INSERT … SELECT).

    Django does not compile a queryset it knows selects nothing (`.none()`, as an empty territory is, or
    `pk__in=[]`): `query.sql_with_params()` raises EmptyResultSet, a 500 for every user whose scope is empty.
    Here that queryset becomes the same columns under `WHERE false`, which selects no row. Use this, never
    `query.sql_with_params()` directly.
    """
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:
        query = qs.query.clone()
        query.where = WhereNode()  # drops the "nothing" marker and whatever else could not compile
        query.add_q(Q(RawSQL("false", (), output_field=BooleanField())))
        query.clear_ordering(force=True)
        sql, params = query.sql_with_params()
    return sql, tuple(params)


def sql_named(sql: str, params, *, prefix: str, into: dict) -> str:
    """`sql` with its positional placeholders named `prefix`0, `prefix`1…, their values put in `into`: a compiled
    queryset embedded in a statement whose other parameters are named (`%(today)s`), as the daily list and the
    workspace do to compile their SQL once per process and bind only the request's values."""
    head, *parts = sql.replace("%%", "\0").split("%s")
    out = [head]
    for i, (value, rest) in enumerate(zip(params, parts, strict=True)):
        into[f"{prefix}{i}"] = value
        out += [f"%({prefix}{i})s", rest]
    return "".join(out).replace("\0", "%%")
