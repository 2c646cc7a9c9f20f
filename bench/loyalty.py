"""`bench loyalty`: awarding the points of one week of orders (the set-based `points_award`: earn entries,
lots and balances for every order of the week) against a plain COPY of those same orders and their lines into
bare tables, both measured in this run on the same rows. Target (issue 6): award ÷ COPY ≤ 2.

The week is the latest week with orders. Each repetition awards the week for a fresh earn rule (1 point per
carton, price-class and brand-programme multipliers, the level multiplier), so every repetition writes the
same number of entries; the other rules are switched off while measuring and restored afterwards. Accounts
are opened and levels computed before timing, as the nightly level recompute leaves them. The benchmark
writes ledger entries: run it on a copy of the database."""

import datetime
import io
import statistics
from decimal import Decimal

from django.db import connection, transaction

from bench.runner import SCALES, BenchError, MemoryWatch, analyze, environment, timed

MAX_REPETITIONS = 3
RATIO_MAX = 2.0
TINY_WEEKS = 3
BENCH_RULE_PREFIX = "bench-loyalty"
TABLES = (
    "sales_order",
    "sales_orderline",
    "loyalty_pointsaccount",
    "loyalty_pointsentry",
    "loyalty_pointslot",
)


def _ensure_history(scale: str, *, stdout) -> float:
    from bench.rescore import WEEKS, ensure_history

    # tiny (the CI smoke run) needs a few weeks only; small and province a year, as the other benchmarks
    return ensure_history(SCALES[scale], weeks=TINY_WEEKS if scale == "tiny" else WEEKS, stdout=stdout)


def _the_week() -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of the latest week with orders."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT date_trunc('week', max(ordered_on))::date FROM sales_order")
        monday = cursor.fetchone()[0]
    if monday is None:
        raise BenchError("the database holds no orders")
    return monday, monday + datetime.timedelta(days=6)


def _copy_out(sql: str, params) -> io.BytesIO:
    buffer = io.BytesIO()
    with connection.cursor() as cursor:
        cursor.copy_expert(cursor.mogrify(f"COPY ({sql}) TO STDOUT", params).decode(), buffer)
    buffer.seek(0)
    return buffer


def _copy_baseline(orders: io.BytesIO, lines: io.BytesIO) -> float:
    """COPY the week's orders and lines into fresh bare tables (no index, no constraint) and commit."""

    def load():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_order, bench_copy_orderline")
            cursor.execute("CREATE TABLE bench_copy_order (LIKE sales_order)")
            cursor.execute("CREATE TABLE bench_copy_orderline (LIKE sales_orderline)")
            orders.seek(0)
            lines.seek(0)
            cursor.copy_expert("COPY bench_copy_order FROM STDIN", orders)
            cursor.copy_expert("COPY bench_copy_orderline FROM STDIN", lines)

    seconds, _result = timed(load)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_order, bench_copy_orderline")
    return seconds


def _bench_rule(monday: datetime.date, n: int):
    """A fresh rule for repetition n: 1 point per carton, class 1 ×2, class 2 ×1.5, and a brand programme
    (×3) on the best-selling class-2 product during the week."""
    from loyalty.earning.models import EarnMultiplier, EarnRule

    rule = EarnRule.objects.create(
        name=f"{BENCH_RULE_PREFIX}-{n}",
        basis=EarnRule.Basis.CARTON,
        points_per_unit=Decimal(1),
        valid_from=monday,
        valid_to=monday + datetime.timedelta(days=6),
        max_points_per_order=5000,
    )
    EarnMultiplier.objects.create(rule=rule, price_class=1, multiplier=Decimal(2))
    EarnMultiplier.objects.create(rule=rule, price_class=2, multiplier=Decimal("1.5"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM sales_product WHERE price_class = 2 ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    if row:
        EarnMultiplier.objects.create(
            rule=rule,
            product_id=row[0],
            multiplier=Decimal(3),
            valid_from=monday,
            valid_to=monday + datetime.timedelta(days=6),
            label="品牌培育（基准测试）",
        )
    return rule


def run(*, scale: str, iterations: int = MAX_REPETITIONS, seed: int = 0, stdout=None) -> dict:
    """Run the loyalty benchmark at `scale`; `iterations` caps the repetitions (at most 3). `seed` is unused:
    the workload is the latest week of the database's orders."""
    from accounts.models import Retailer
    from loyalty.earning.models import EarnRule
    from loyalty.earning.services import points_award
    from loyalty.levels.services import level_recompute

    repetitions = max(1, min(iterations, MAX_REPETITIONS))
    seed_seconds = _ensure_history(scale, stdout=stdout)
    monday, sunday = _the_week()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(cartons), 0) FROM sales_order WHERE ordered_on BETWEEN %s AND %s",
            [monday, sunday],
        )
        orders, cartons = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
            "WHERE o.ordered_on BETWEEN %s AND %s",
            [monday, sunday],
        )
        lines = cursor.fetchone()[0]
    if not orders:
        raise BenchError("the latest week holds no orders")
    # Accounts and levels as the nightly recompute leaves them, and vacuumed as autovacuum leaves them by
    # morning (untimed).
    recompute_seconds, levels = timed(lambda: level_recompute(as_of=sunday))
    if not connection.in_atomic_block:  # (the smoke test runs inside a test's transaction)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) loyalty_pointsaccount")
    analyze(*TABLES)

    order_buffer = _copy_out("SELECT * FROM sales_order WHERE ordered_on BETWEEN %s AND %s", [monday, sunday])
    line_buffer = _copy_out(
        "SELECT l.* FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id "
        "WHERE o.ordered_on BETWEEN %s AND %s",
        [monday, sunday],
    )
    copy_bytes = len(order_buffer.getbuffer()) + len(line_buffer.getbuffer())

    # the import hook's path: the id range of the orders an import created (a week's orders are contiguous)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(id), max(id) FROM sales_order WHERE ordered_on BETWEEN %s AND %s", [monday, sunday]
        )
        first_id, last_id = cursor.fetchone()
    others = list(EarnRule.objects.filter(is_active=True).values_list("pk", flat=True))
    EarnRule.objects.filter(pk__in=others).update(is_active=False)
    copy_samples, award_samples, awarded = [], [], []
    try:
        with MemoryWatch() as watch:
            for n in range(repetitions):
                copy_samples.append(_copy_baseline(order_buffer, line_buffer))
                rule = _bench_rule(monday, n + 1)
                seconds, result = timed(
                    lambda: points_award(
                        first_order_id=first_id, last_order_id=last_id, ordered_from=monday, ordered_to=sunday
                    )
                )
                EarnRule.objects.filter(pk=rule.pk).update(is_active=False)
                award_samples.append(seconds)
                awarded.append(result)
                if result["orders"] != orders:
                    raise BenchError(f"awarded {result['orders']:,} orders of the week's {orders:,}")
    finally:
        EarnRule.objects.filter(pk__in=others).update(is_active=True)

    copy_s = statistics.median(copy_samples)
    award_s = statistics.median(award_samples)
    ratio = award_s / copy_s
    last = awarded[-1]
    return {
        "name": "loyalty",
        "scale": scale,
        "retailers": Retailer.objects.count(),
        "week": [monday.isoformat(), sunday.isoformat()],
        "orders": orders,
        "lines": lines,
        "cartons": int(cartons),
        "unit": "seconds (median of the repetitions)",
        "repetitions": repetitions,
        "baseline": {
            "what": "plain COPY of the week's orders and their lines into two bare tables (no index, no "
            "constraint), committed",
            "bytes": copy_bytes,
            "seconds": round(copy_s, 4),
            "samples": [round(s, 4) for s in copy_samples],
        },
        "measured": {
            "what": "points_award for the week, set-based (candidates, points, then one INSERT of the earn "
            "entries and their lots and one UPDATE of the balances; no per-order loop), exactly once per order "
            "and rule, committed",
            "seconds": round(award_s, 4),
            "samples": [round(s, 4) for s in award_samples],
            "entries": last["entries"],
            "points": last["points"],
            "accounts": last["accounts"],
            "orders_per_second": round(orders / award_s),
        },
        "ratio": round(ratio, 3),
        "target": {"ratio_max": RATIO_MAX, "met": ratio <= RATIO_MAX},
        "level_recompute": {"seconds": round(recompute_seconds, 3), **levels},
        "peak_rss_mb": round(watch.peak, 1),
        "rss_growth_mb": watch.growth_mb,
        "seed_seconds": round(seed_seconds, 3),
        "environment": environment(),
    }


def summary_lines(result: dict) -> list[str]:
    base, measured, target = result["baseline"], result["measured"], result["target"]
    return [
        f"bench loyalty · scale {result['scale']} · {result['retailers']:,} retailers · week "
        f"{result['week'][0]}…{result['week'][1]}: {result['orders']:,} orders, {result['lines']:,} lines",
        f"  COPY of the week's orders + lines   {base['seconds']:8.3f} s   (median of {result['repetitions']})",
        f"  points_award of the week            {measured['seconds']:8.3f} s   "
        f"({measured['entries']:,} entries, {measured['points']:,} points, {measured['orders_per_second']:,} orders/s)",
        f"  ratio {result['ratio']} (target <= {target['ratio_max']}: {'met' if target['met'] else 'NOT met'}) · "
        f"peak RSS {result['peak_rss_mb']:.0f} MB (+{result['rss_growth_mb']} MB while measuring)",
    ]
