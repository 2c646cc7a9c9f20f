"""Every write to products, orders and the summaries kept from them: the retailer period summaries (week and
month) and the retailer × product weeks. Every path that writes orders or lines keeps both current in its own
transaction (tests/sales/test_summaries.py enumerates the paths)."""

import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import tables_analyze, tables_analyze_after_load
from core.registry import Registry
from sales.models import PriceClassBand, Product
from sales.partitions import history_partitions_named


def product_price_classes_refresh(*, cursor=None, on: datetime.date | None = None) -> int:
    """Set every product's price class from the bands in force on `on` (default today, in the company's time
    zone: the database session runs in UTC). Set-based. The period summaries of the retailers who bought a
    reclassed product count cartons by class, so they are recomputed too."""
    own = cursor is None
    cursor = cursor or connection.cursor()
    try:
        cursor.execute(
            """
            WITH bands AS (
              SELECT b.* FROM sales_priceclassband b
              WHERE b.effective_from = (SELECT max(effective_from) FROM sales_priceclassband
                                         WHERE effective_from <= %s)
            )
            UPDATE sales_product p SET price_class = b.price_class
            FROM bands b
            WHERE p.wholesale_price_fen >= b.min_wholesale_fen
              AND (b.max_wholesale_fen IS NULL OR p.wholesale_price_fen < b.max_wholesale_fen)
              AND p.price_class IS DISTINCT FROM b.price_class
            RETURNING p.id
            """,
            [on or timezone.localdate()],
        )
        changed = [row[0] for row in cursor.fetchall()]
        if changed:
            cursor.execute(
                "SELECT DISTINCT o.retailer_id FROM sales_order o JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on "
                "WHERE l.product_id = ANY(%s)",
                [changed],
            )
            retailer_ids = [row[0] for row in cursor.fetchall()]
            if retailer_ids:
                cursor.execute(
                    "DELETE FROM sales_retailerperiodsummary WHERE retailer_id = ANY(%s)", [retailer_ids]
                )
                cursor.execute(
                    SUMMARY_INSERT.format(where="WHERE o.retailer_id = ANY(%s)", filter=""), [retailer_ids]
                )
        return len(changed)
    finally:
        if own:
            cursor.close()


@transaction.atomic
def price_class_bands_set(*, effective_from: datetime.date, bands: list[tuple[int, int, int | None]]) -> None:
    """Replace the bands that take effect on `effective_from`: [(class, min_fen, max_fen or None), ...].
    They must cover every price from 0 up without gaps or overlaps."""
    ordered = sorted(bands, key=lambda b: b[1])
    if not ordered or ordered[0][1] != 0:
        raise ValidationError(_("价类区间必须从 0 元开始。"))
    for (cls, _low, high), nxt in zip(ordered, [*ordered[1:], None], strict=True):
        if cls not in range(1, 6):
            raise ValidationError(_("价类只能是一类到五类。"))
        if nxt is None:
            if high is not None:
                raise ValidationError(_("最高的价类区间不应有上限。"))
        elif high is None or high != nxt[1]:
            raise ValidationError(
                _("价类区间之间不能有空档或重叠（%(a)s 与 %(b)s）。") % {"a": cls, "b": nxt[0]}
            )
    PriceClassBand.objects.filter(effective_from=effective_from).delete()
    PriceClassBand.objects.bulk_create(
        PriceClassBand(
            price_class=c, min_wholesale_fen=lo, max_wholesale_fen=hi, effective_from=effective_from
        )
        for c, lo, hi in ordered
    )
    product_price_classes_refresh()


ORDERS_CREATED: Registry[str, Callable[..., None]] = Registry(
    "orders-created",
    owner="sales",
    doc="name -> handler(first_order_id=..., last_order_id=...) called with the id range of the orders an import "
    "has just created, inside the import's transaction (loyalty awards their points, allocation flags excess); a "
    "handler enqueues its work with transaction.on_commit, so a rolled-back import enqueues nothing",
)


def orders_upsert_from_staging(*, cursor, table: str) -> tuple[int, int, int]:
    """Insert new orders, replace changed ones, leave identical ones alone; then bring the period summaries of
    every touched retailer-week and retailer-month up to date. Returns (created, updated, unchanged) orders."""
    cursor.execute(f"""
        CREATE TEMP TABLE _inc ON COMMIT DROP AS
        SELECT order_no, min(source) AS source, min(retailer_id) AS retailer_id, min(ordered_on) AS ordered_on,
               sum(cartons)::int AS cartons, sum(cartons::bigint * unit_price_fen) AS amount,
               string_agg(product_id || ':' || cartons || ':' || unit_price_fen, ',' ORDER BY product_id) AS sig
        FROM {table} WHERE ok GROUP BY order_no;
    """)
    tables_analyze(
        cursor, "_inc"
    )  # temp tables are never analyzed by autovacuum: the joins below need counts
    # the months written get their partitions first (from the Monday of the first day's week: its week row)
    cursor.execute(
        "SELECT sales_history_partitions_ensure(date_trunc('week', min(ordered_on))::date, max(ordered_on)) FROM _inc"
    )
    # existing orders are found by number through sales_ordernumber, then read in their own month
    cursor.execute("""
        CREATE TEMP TABLE _ex ON COMMIT DROP AS
        SELECT o.id, o.source, o.order_no, o.retailer_id, o.ordered_on,
               (SELECT string_agg(l.product_id || ':' || l.cartons || ':' || l.unit_price_fen, ',' ORDER BY l.product_id)
                  FROM sales_orderline l WHERE l.order_id = o.id AND l.ordered_on = o.ordered_on) AS sig
        FROM _inc i
        JOIN sales_ordernumber k ON k.source = i.source AND k.order_no = i.order_no
        JOIN sales_order o ON o.id = k.order_id AND o.ordered_on = k.ordered_on;
        CREATE TEMP TABLE _changed ON COMMIT DROP AS
        SELECT e.id, e.retailer_id AS old_retailer, e.ordered_on AS old_day, i.*
        FROM _ex e JOIN _inc i USING (source, order_no)
        WHERE (e.sig, e.retailer_id, e.ordered_on) IS DISTINCT FROM (i.sig, i.retailer_id, i.ordered_on);
    """)
    tables_analyze(cursor, "_ex", "_changed")
    cursor.execute("""
        CREATE TEMP TABLE _affected ON COMMIT DROP AS
        SELECT old_retailer AS retailer_id, old_day AS day FROM _changed;
        DELETE FROM sales_orderline l USING _changed c WHERE l.order_id = c.id AND l.ordered_on = c.old_day;
        UPDATE sales_order o SET retailer_id = c.retailer_id, ordered_on = c.ordered_on, cartons = c.cartons,
               amount_fen = c.amount FROM _changed c WHERE o.id = c.id AND o.ordered_on = c.old_day;
    """)
    cursor.execute("""
        WITH created AS (
          INSERT INTO sales_order (order_no, source, retailer_id, ordered_on, cartons, amount_fen, created_at)
          SELECT i.order_no, i.source, i.retailer_id, i.ordered_on, i.cartons, i.amount, now()
          FROM _inc i WHERE NOT EXISTS (SELECT 1 FROM _ex e WHERE e.source = i.source AND e.order_no = i.order_no)
          ORDER BY i.ordered_on, i.order_no
          RETURNING id
        ) SELECT count(*), min(id), max(id) FROM created
    """)
    created, first_id, last_id = cursor.fetchone()
    cursor.execute(f"""
        INSERT INTO sales_orderline (order_id, ordered_on, product_id, cartons, unit_price_fen, amount_fen)
        SELECT k.order_id, k.ordered_on, s.product_id, s.cartons, s.unit_price_fen, s.cartons::bigint * s.unit_price_fen
        FROM {table} s
        JOIN _inc i ON i.order_no = s.order_no
        JOIN sales_ordernumber k ON k.source = i.source AND k.order_no = i.order_no
        WHERE s.ok AND (NOT EXISTS (SELECT 1 FROM _ex e WHERE e.id = k.order_id) OR EXISTS (SELECT 1 FROM _changed c
                        WHERE c.id = k.order_id));
        INSERT INTO _affected SELECT retailer_id, ordered_on FROM _inc i
        WHERE NOT EXISTS (SELECT 1 FROM _ex e WHERE e.source = i.source AND e.order_no = i.order_no)
           OR EXISTS (SELECT 1 FROM _changed c WHERE c.source = i.source AND c.order_no = i.order_no);
    """)
    cursor.execute("SELECT count(*) FROM _changed")
    updated = cursor.fetchone()[0]
    cursor.execute("SELECT count(*) FROM _ex")
    unchanged = cursor.fetchone()[0] - updated
    # the summaries and the handlers (points) read the lines just written: their months' statistics first
    cursor.execute("SELECT min(day), max(day) FROM _affected")
    first_day, last_day = cursor.fetchone()
    months = {"cursor": cursor, "first": first_day, "last": last_day}
    written = history_partitions_named(**months) if first_day else []
    tables_analyze_after_load(cursor, created + updated, *written, "sales_ordernumber")
    period_summaries_refresh(cursor=cursor, affected_table="_affected")
    # later statements (the next import's checks, tonight's run) plan with the summaries' new months
    if first_day:
        summaries = ("sales_retailerperiodsummary", "sales_retailerproductsummary")
        tables_analyze_after_load(
            cursor, created + updated, *history_partitions_named(**months, tables=summaries)
        )
    cursor.execute("DROP TABLE _inc, _ex, _changed, _affected")
    if created:
        for _name, handler in ORDERS_CREATED.items():
            handler(first_order_id=first_id, last_order_id=last_id)
    return created, updated, unchanged


# Lines are first folded per order (one hash aggregate), then per period: no COUNT(DISTINCT), no range joins.
SUMMARY_INSERT = """
    WITH per_order AS (
      SELECT o.id, o.retailer_id, o.ordered_on, sum(l.cartons) AS cartons, sum(l.amount_fen) AS amount,
             coalesce(sum(l.cartons) FILTER (WHERE pr.price_class = 1), 0) AS c1,
             coalesce(sum(l.cartons) FILTER (WHERE pr.price_class = 2), 0) AS c2,
             coalesce(sum(l.cartons) FILTER (WHERE pr.price_class = 3), 0) AS c3,
             coalesce(sum(l.cartons) FILTER (WHERE pr.price_class = 4), 0) AS c4,
             coalesce(sum(l.cartons) FILTER (WHERE pr.price_class = 5), 0) AS c5
      FROM sales_order o
      JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
      JOIN sales_product pr ON pr.id = l.product_id
      {where}
      GROUP BY o.id, o.ordered_on
    ), keyed AS (
      SELECT 'week' AS period, date_trunc('week', ordered_on)::date AS period_start, * FROM per_order
      UNION ALL
      SELECT 'month', date_trunc('month', ordered_on)::date, * FROM per_order
    )
    INSERT INTO sales_retailerperiodsummary (retailer_id, period, period_start, order_count, cartons, amount_fen,
        class1_cartons, class2_cartons, class3_cartons, class4_cartons, class5_cartons, first_ordered_on,
        last_ordered_on)
    SELECT k.retailer_id, k.period, k.period_start, count(*), sum(k.cartons), sum(k.amount), sum(k.c1), sum(k.c2),
           sum(k.c3), sum(k.c4), sum(k.c5), min(k.ordered_on), max(k.ordered_on)
    FROM keyed k
    {filter}
    GROUP BY k.retailer_id, k.period, k.period_start
"""


# A retailer's lines of one product in one week: order_count is the orders with a line of it (one line per order
# and product), first/last_ordered_on the days they were placed.
PRODUCT_SUMMARY_INSERT = """
    INSERT INTO sales_retailerproductsummary (retailer_id, week_start, product_id, order_count, cartons,
        amount_fen, first_ordered_on, last_ordered_on)
    SELECT o.retailer_id, date_trunc('week', o.ordered_on)::date, l.product_id, count(*), sum(l.cartons),
           sum(l.amount_fen), min(o.ordered_on), max(o.ordered_on)
    FROM sales_order o
    JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
    {where}
    GROUP BY 1, 2, 3
"""


def period_summaries_refresh(*, cursor, affected_table: str) -> None:
    """Recompute the week and month summaries, and the retailer × product weeks, containing each (retailer_id,
    day) of `affected_table`."""
    cursor.execute(f"""
        CREATE TEMP TABLE _periods ON COMMIT DROP AS
        SELECT DISTINCT retailer_id, 'week'::text AS period, date_trunc('week', day)::date AS period_start
        FROM {affected_table}
        UNION
        SELECT DISTINCT retailer_id, 'month', date_trunc('month', day)::date FROM {affected_table};
        DELETE FROM sales_retailerperiodsummary s USING _periods p
        WHERE s.retailer_id = p.retailer_id AND s.period = p.period AND s.period_start = p.period_start
          AND s.period_start >= (SELECT min(period_start) FROM _periods)
          AND s.period_start <= (SELECT max(period_start) FROM _periods);
    """)
    tables_analyze(cursor, "_periods")
    # the days are bounded on the orders and on the lines alike: each table reads only the months of the
    # periods touched (run-time partition pruning on the bounds)
    cursor.execute(
        SUMMARY_INSERT.format(
            where="WHERE o.retailer_id IN (SELECT retailer_id FROM _periods) "
            "AND o.ordered_on >= (SELECT min(period_start) FROM _periods) "
            "AND o.ordered_on < (SELECT max(period_start) + 31 FROM _periods) "
            "AND l.ordered_on >= (SELECT min(period_start) FROM _periods) "
            "AND l.ordered_on < (SELECT max(period_start) + 31 FROM _periods)",
            filter="WHERE (k.retailer_id, k.period, k.period_start) IN (SELECT retailer_id, period, period_start FROM _periods)",
        )
    )
    cursor.execute("""
        DELETE FROM sales_retailerproductsummary s USING _periods p
        WHERE p.period = 'week' AND s.retailer_id = p.retailer_id AND s.week_start = p.period_start
          AND s.week_start >= (SELECT min(period_start) FROM _periods WHERE period = 'week')
          AND s.week_start <= (SELECT max(period_start) FROM _periods WHERE period = 'week')
    """)
    cursor.execute(
        PRODUCT_SUMMARY_INSERT.format(
            where="WHERE o.retailer_id IN (SELECT retailer_id FROM _periods) "
            "AND o.ordered_on >= (SELECT min(period_start) FROM _periods) "
            "AND o.ordered_on < (SELECT max(period_start) + 7 FROM _periods WHERE period = 'week') "
            "AND l.ordered_on >= (SELECT min(period_start) FROM _periods) "
            "AND l.ordered_on < (SELECT max(period_start) + 7 FROM _periods WHERE period = 'week') "
            "AND (o.retailer_id, date_trunc('week', o.ordered_on)::date) IN "
            "(SELECT retailer_id, period_start FROM _periods WHERE period = 'week')"
        )
    )
    cursor.execute("DROP TABLE _periods")


def period_summaries_rebuild(*, retailer_ids: list[int] | None = None) -> None:
    """Recompute the period summaries and the retailer × product weeks from the order lines for some retailers
    (or all): used by the demo seed after its COPY of the orders, and by the tests to prove the kept summaries
    equal a recomputation."""
    with transaction.atomic(), connection.cursor() as cursor:
        if retailer_ids is None:
            cursor.execute("TRUNCATE sales_retailerperiodsummary, sales_retailerproductsummary")
            cursor.execute(SUMMARY_INSERT.format(where="", filter=""))
            product_summaries_fill(cursor=cursor)
        else:
            cursor.execute(
                "DELETE FROM sales_retailerperiodsummary WHERE retailer_id = ANY(%s)", [retailer_ids]
            )
            cursor.execute(
                SUMMARY_INSERT.format(where="WHERE o.retailer_id = ANY(%s)", filter="").replace("%%", "%"),
                [retailer_ids],
            )
            cursor.execute(
                "DELETE FROM sales_retailerproductsummary WHERE retailer_id = ANY(%s)", [retailer_ids]
            )
            cursor.execute(
                PRODUCT_SUMMARY_INSERT.format(where="WHERE o.retailer_id = ANY(%s)"), [retailer_ids]
            )


def product_summaries_fill(*, cursor) -> None:
    """Fill the empty retailer × product weeks from every order line, in one pass (the demo seed, the migration
    that created the table). Sorted by week: the nightly run reads the latest weeks, which then sit together."""
    cursor.execute("SET LOCAL work_mem = '256MB'")  # 16.8M lines at province scale: hash them in memory
    cursor.execute(PRODUCT_SUMMARY_INSERT.format(where="") + " ORDER BY 2, 1, 3")
    tables_analyze(cursor, "sales_retailerproductsummary")


@transaction.atomic
def product_create(*, data: dict) -> Product:
    product = Product(**data)
    product.full_clean()
    product.save()
    product_price_classes_refresh()
    product.refresh_from_db(fields=["price_class"])
    return product


def retailer_orders_move(*, cursor, from_id: int, to_id: int) -> None:
    """On a merge, the duplicate's orders become the survivor's (their lines follow them)."""
    cursor.execute("UPDATE sales_order SET retailer_id = %s WHERE retailer_id = %s", [to_id, from_id])


def retailer_summaries_rebuild(*, cursor, from_id: int, to_id: int) -> None:
    """On a merge, after the orders moved: both retailers' summaries are dropped and the survivor's rebuilt from
    its orders, which now include the duplicate's."""
    cursor.execute("DELETE FROM sales_retailerperiodsummary WHERE retailer_id IN (%s, %s)", [from_id, to_id])
    cursor.execute(SUMMARY_INSERT.format(where="WHERE o.retailer_id = %s", filter=""), [to_id])


def retailer_product_summaries_rebuild(*, cursor, from_id: int, to_id: int) -> None:
    """On a merge, after the orders moved: both retailers' product weeks are dropped and the survivor's rebuilt
    from its orders, which now include the duplicate's."""
    cursor.execute("DELETE FROM sales_retailerproductsummary WHERE retailer_id IN (%s, %s)", [from_id, to_id])
    cursor.execute(PRODUCT_SUMMARY_INSERT.format(where="WHERE o.retailer_id = %s"), [to_id])
