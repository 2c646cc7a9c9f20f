"""`bench rescore`: the full nightly scoring run (scoring_run_start + scoring_run_execute) against one raw
`GROUP BY retailer` over all order lines, both measured in this run on the same data.

DESIGN.md: scoring ÷ the raw GROUP BY ≤ 1.5×, and ≤ 0.3× with period summaries kept at import. Scoring reads
sales_retailerperiodsummary and sales_retailerproductsummary (kept current by every write of orders), not the
lines, so the 0.3 target is the one that applies; the same GROUP BY over the weekly summary rows is reported as
a second baseline, to show what the summaries alone buy. Peak RSS is sampled while the scoring runs (the work is in PostgreSQL; the process must stay flat).
"""

import statistics
import time

from django.core.management import call_command
from django.db import connection

from bench.runner import SCALES, BenchError, MemoryWatch, analyze, environment, timed

WEEKS = 52
MAX_REPETITIONS = 3
RATIO_MAX = 1.5
RATIO_MAX_WITH_SUMMARIES = 0.3
TABLES = (
    "accounts_retailer",
    "sales_order",
    "sales_orderline",
    "sales_retailerperiodsummary",
    "sales_retailerproductsummary",
)

LINES_SQL = (
    "SELECT o.retailer_id, count(*), sum(l.cartons), sum(l.amount_fen) "
    "FROM sales_orderline l JOIN sales_order o ON o.id = l.order_id GROUP BY o.retailer_id"
)
SUMMARY_SQL = (
    "SELECT s.retailer_id, sum(s.order_count), sum(s.cartons), sum(s.amount_fen) "
    "FROM sales_retailerperiodsummary s WHERE s.period = 'week' GROUP BY s.retailer_id"
)


def ensure_history(count: int, *, weeks: int = WEEKS, stdout=None) -> float:
    """Make the database hold `count` demo retailers with order history, reseeding (with --flush) a year of
    weekly orders otherwise. Returns the seconds spent seeding (0 when the data was already there)."""
    from accounts.models import Retailer
    from sales.models import Order

    if Retailer.objects.count() == count and Order.objects.exists():
        return 0.0
    started = time.perf_counter()
    call_command(
        "seed_demo", "--flush", "--retailers", str(count), "--weeks", str(weeks), stdout=stdout, verbosity=0
    )
    return time.perf_counter() - started


def _fetch_all(sql: str) -> list[tuple]:
    """Run `sql` through a bare psycopg2 cursor (no ORM, no Django cursor wrapper) and fetch every row."""
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def _repeat(call, repetitions: int) -> tuple[list[float], object]:
    """Time `call` `repetitions` times, one after the other; return the samples and the last result."""
    samples, result = [], None
    for _ in range(repetitions):
        seconds, result = timed(call)
        samples.append(seconds)
    return samples, result


def _figures(samples: list[float]) -> dict:
    return {
        "seconds": round(statistics.median(samples), 4),
        "samples": [round(s, 4) for s in samples],
        "n": len(samples),
    }


def scoring_run():
    """One whole nightly run, as the Celery task does it; it must be done before the next one starts."""
    from core.errors import ConflictError
    from segmentation.scoring.models import ScoringRun
    from segmentation.scoring.services import scoring_run_execute, scoring_run_start

    try:
        run = scoring_run_start()
    except ConflictError as exc:
        raise BenchError(f"a scoring run is already queued or running: {exc}") from exc
    run = scoring_run_execute(run_id=run.pk)
    if run.status != ScoringRun.Status.DONE:
        raise BenchError(f"scoring run {run.pk} ended {run.status}: {run.error}")
    return run


def run(*, scale: str, iterations: int = MAX_REPETITIONS, seed: int = 20261123, stdout=None) -> dict:
    """Run the rescore benchmark at `scale`; `iterations` caps the repetitions of each timing (at most 3: a
    province scoring run takes seconds, and the median of three is steady enough). `seed` is unused: the
    workload is the whole database."""
    from accounts.models import Retailer

    count = SCALES[scale]
    repetitions = max(1, min(iterations, MAX_REPETITIONS))
    seed_seconds = ensure_history(count, stdout=stdout)
    analyze(*TABLES)

    # (a) the baseline: the raw GROUP BY over every order line.
    line_samples, line_rows = _repeat(lambda: _fetch_all(LINES_SQL), repetitions)
    # (b) the same GROUP BY over the weekly summary rows kept at import.
    summary_samples, summary_rows = _repeat(lambda: _fetch_all(SUMMARY_SQL), repetitions)
    lines = sum(row[1] for row in line_rows)
    summary_orders = sum(row[1] for row in summary_rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_order")
        orders = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM sales_retailerperiodsummary WHERE period = 'week'")
        week_rows = cursor.fetchone()[0]
    if not lines:
        raise BenchError("the database holds no order lines to score")
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(order_count), 0) FROM sales_retailerproductsummary")
        product_week_lines = cursor.fetchone()[0]
    if product_week_lines != lines:
        raise BenchError(
            f"retailer × product weeks count {product_week_lines:,} lines but sales_orderline holds {lines:,}: "
            "they are not kept current"
        )
    if summary_orders != orders:
        raise BenchError(
            f"weekly summaries count {summary_orders:,} orders but sales_order holds {orders:,}: "
            "the summaries are not kept current"
        )

    # (c) the full scoring run, one after the other, with this process's memory sampled throughout.
    with MemoryWatch() as watch:
        scoring_samples, last_run = _repeat(scoring_run, repetitions)

    baseline = _figures(line_samples)
    summaries = _figures(summary_samples)
    measured = _figures(scoring_samples)
    ratio = measured["seconds"] / baseline["seconds"]
    retailers = Retailer.objects.count()
    return {
        "name": "rescore",
        "scale": scale,
        "retailers": retailers,
        "retailers_with_orders": len(line_rows),
        "orders": orders,
        "lines": lines,
        "week_summary_rows": week_rows,
        "unit": "seconds (median of the repetitions)",
        "repetitions": repetitions,
        "baseline": {
            "what": "raw GROUP BY retailer over all order lines (sales_orderline JOIN sales_order), "
            "every row fetched through a psycopg2 cursor",
            "sql": LINES_SQL,
            "rows": len(line_rows),
            **baseline,
        },
        "second_baseline": {
            "what": "the same GROUP BY over the weekly period summaries kept at import",
            "sql": SUMMARY_SQL,
            "rows": len(summary_rows),
            **summaries,
            "scoring_ratio": round(measured["seconds"] / summaries["seconds"], 3),
        },
        "measured": {
            "what": "full nightly scoring run: scoring_run_start + scoring_run_execute (RFM, lifecycle, "
            "value/loyalty classes, history and events, then clusters, churn risk and recommendations), "
            "from the period summaries and the retailer × product weeks",
            **measured,
            "stage_seconds": last_run.stats.get("timings", {}),  # of the last repetition
            "scored": last_run.scored_count,
            "changes": last_run.change_count,
            "events": last_run.event_count,
        },
        "ratio": round(ratio, 3),
        "target": {
            "ratio_max": RATIO_MAX,
            "ratio_max_with_summaries": RATIO_MAX_WITH_SUMMARIES,
            "applies": "ratio_max_with_summaries",  # scoring reads sales_retailerperiodsummary
            "met": ratio <= RATIO_MAX_WITH_SUMMARIES,
            "met_general": ratio <= RATIO_MAX,
        },
        "peak_rss_mb": round(watch.peak, 1),  # sampled during the scoring runs only
        "rss_growth_mb": watch.growth_mb,
        "seed_seconds": round(seed_seconds, 3),
        "environment": environment(),
    }


def summary_lines(result: dict) -> list[str]:
    base, second, measured, target = (
        result["baseline"],
        result["second_baseline"],
        result["measured"],
        result["target"],
    )
    return [
        f"bench rescore · scale {result['scale']} · {result['retailers']:,} retailers · "
        f"{result['orders']:,} orders · {result['lines']:,} lines · seeded in {result['seed_seconds']:.1f}s",
        f"  raw GROUP BY over lines      {base['seconds']:8.3f} s   (median of {base['n']})",
        f"  GROUP BY over week summaries {second['seconds']:8.3f} s   ({result['week_summary_rows']:,} rows)",
        f"  full scoring run             {measured['seconds']:8.3f} s   ({measured['scored']:,} scored)",
        "    stages: "
        + " · ".join(f"{name} {sec:.2f}s" for name, sec in measured.get("stage_seconds", {}).items()),
        f"  ratio {result['ratio']} (target <= {target['ratio_max_with_summaries']} with summaries, "
        f"<= {target['ratio_max']} generally: {'met' if target['met'] else 'NOT met'}) · "
        f"peak RSS {result['peak_rss_mb']:.0f} MB (+{result['rss_growth_mb']} MB while scoring)",
    ]
