"""`bench import`: retailer and order file imports (validate + commit, the whole user path) against a plain COPY
of the same file into a bare table, both measured in this run; peak memory of each import, at the full file
and at a tenth of it (flat = memory does not grow with the file); and, as the peer a Django team would
otherwise pick, the same retailer rows through django-import-export when it is installed (benchmark only)."""

import random
import tempfile
import time
from pathlib import Path

from django.core.files import File

from bench.imports.baselines import PEER_ROWS, copy_baseline, copy_into_table_like, peer_import_export
from bench.imports.files import (
    BENCH_PREFIX,
    LINES_PER_RETAILER,
    ORDER_HEADER,
    RETAILER_HEADER,
    cleanup,
    ensure_org_and_products,
    order_rows,
    retailer_rows,
    write_csv,
)
from bench.runner import SCALES, BenchError, MemoryWatch, analyze, environment

IMPORT_RATIO_MIN = 0.5  # validated rows/s ÷ COPY rows/s of the same file (DESIGN.md, issue 17)


def import_file(path: Path, kind: str, user) -> tuple[float, object]:
    """Import the file at `path` as `user` the way a person does (upload, validate, commit), with no Celery
    worker; return the seconds it took and the committed job. BenchError unless every row validates."""
    from accounts.imports.services import import_job_commit, import_job_create, import_job_validate

    started = time.perf_counter()
    with path.open("rb") as fh:
        job = import_job_create(
            user=user, kind=kind, upload=File(fh, name=path.name), mode="all", enqueue=False
        )
    job = import_job_validate(job_id=job.pk)
    if job.status != "validated" or job.invalid_rows:
        raise BenchError(
            f"{kind} import did not validate cleanly: {job.status} {job.message} ({job.invalid_rows} bad rows)"
        )
    job = import_job_commit(job_id=job.pk, user=user, enqueue=False)
    return time.perf_counter() - started, job


def _import(path: Path, kind: str, user) -> tuple[float, object, MemoryWatch]:
    with MemoryWatch() as watch:
        seconds, job = import_file(path, kind, user)
    return seconds, job, watch


def import_user():
    """The login the benchmark imports as: an active admin, else a superuser."""
    from users.models import User

    user = (
        User.objects.filter(role="admin", is_active=True).first()
        or User.objects.filter(is_superuser=True).first()
    )
    if user is None:
        raise BenchError("no admin login to run imports as")
    return user


def run(*, scale: str, iterations: int, seed: int, stdout) -> dict:
    rng = random.Random(seed)
    n = SCALES[scale]
    ensure_org_and_products(stdout)
    user = import_user()
    results: dict = {"name": "import", "scale": scale, "environment": environment()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        # A tenth of the file first: the memory of the full import must not grow with the file.
        for label, rows in (("tenth", max(n // 10, 100)), ("full", n)):
            cleanup()
            retailer_file = folder / f"retailers-{label}.csv"
            write_csv(retailer_file, RETAILER_HEADER, retailer_rows(rows, rng), "gbk")
            copy_s = copy_baseline(retailer_file, len(RETAILER_HEADER), "GBK")
            import_s, job, watch = _import(retailer_file, "retailers", user)
            if job.created_count != rows:
                raise BenchError(f"expected {rows} retailers created, got {job.created_count}")
            like_s = copy_into_table_like("accounts_retailer", f"customer_code LIKE '{BENCH_PREFIX}%'")
            figures[label] = {
                "rows": rows,
                "copy_s": round(copy_s, 3),
                "import_s": round(import_s, 3),
                "copy_into_table_s": round(like_s, 3),
                "rss_growth_mb": watch.growth_mb,
                "peak_rss_mb": round(watch.peak, 1),
            }
        analyze("accounts_retailer")
        full = figures["full"]
        results["retailers"] = {
            "file": f"{n:,} rows, GBK CSV with Chinese headers",
            "baseline": {
                "what": "plain COPY of the same file into a bare text table",
                "seconds": full["copy_s"],
                "rows_per_s": round(n / full["copy_s"], 1),
            },
            "measured": {
                "seconds": full["import_s"],
                "rows_per_s": round(n / full["import_s"], 1),
                "what": "upload + detect + validate + stage + set-based checks + upsert + history",
            },
            "ratio": round(full["copy_s"] / full["import_s"], 3),
            "second_baseline": {
                "what": "COPY of the same rows, already normalised, into an empty table LIKE accounts_retailer "
                "(same indexes, constraints, generated columns; no validation, no history)",
                "seconds": full["copy_into_table_s"],
                "ratio": round(full["copy_into_table_s"] / full["import_s"], 3),
            },
            "memory": {
                "tenth_file_growth_mb": figures["tenth"]["rss_growth_mb"],
                "full_file_growth_mb": full["rss_growth_mb"],
                "peak_rss_mb": full["peak_rss_mb"],
            },
        }
        lines = n * LINES_PER_RETAILER
        order_file = folder / "orders.csv"
        written = write_csv(order_file, ORDER_HEADER, order_rows(lines, rng), "utf-8")
        copy_s = copy_baseline(order_file, len(ORDER_HEADER), "UTF8")
        import_s, job, watch = _import(order_file, "orders", user)
        results["orders"] = {
            "file": f"{written:,} order lines, UTF-8 CSV",
            "baseline": {
                "what": "plain COPY of the same file into a bare text table",
                "seconds": round(copy_s, 3),
                "rows_per_s": round(written / copy_s, 1),
            },
            "measured": {
                "seconds": round(import_s, 3),
                "rows_per_s": round(written / import_s, 1),
                "what": "validate + orders and lines upsert + period summaries",
            },
            "ratio": round(copy_s / import_s, 3),
            "memory": {"growth_mb": watch.growth_mb, "peak_rss_mb": round(watch.peak, 1)},
        }
        results["peer"] = peer_import_export(folder / "retailers-full.csv", min(PEER_ROWS, n))
        if results["peer"].get("installed"):
            ours = results["retailers"]["measured"]["rows_per_s"]
            results["peer"]["ours_vs_peer"] = round(ours / results["peer"]["rows_per_s"], 1)
        cleanup()
    results["target"] = {"ratio_min": IMPORT_RATIO_MIN, "peak_rss_mb_max": 2048}
    results["baseline"] = results["retailers"]["baseline"]
    results["measured"] = {
        "retailers": results["retailers"]["measured"],
        "orders": results["orders"]["measured"],
    }
    results["ratio"] = {"retailers": results["retailers"]["ratio"], "orders": results["orders"]["ratio"]}
    return results


def summary_lines(result: dict) -> list[str]:
    r, o = result["retailers"], result["orders"]
    lines = [
        f"retailers: {r['measured']['rows_per_s']:,.0f} rows/s vs COPY {r['baseline']['rows_per_s']:,.0f} rows/s "
        f"-> ratio {r['ratio']} (target >= {IMPORT_RATIO_MIN}), vs COPY into an indexed table {r['second_baseline']['ratio']}; memory +{r['memory']['tenth_file_growth_mb']} MB at 1/10, "
        f"+{r['memory']['full_file_growth_mb']} MB at full",
        f"orders:    {o['measured']['rows_per_s']:,.0f} lines/s vs COPY {o['baseline']['rows_per_s']:,.0f} "
        f"-> ratio {o['ratio']}; memory +{o['memory']['growth_mb']} MB",
    ]
    peer = result.get("peer", {})
    if peer.get("installed"):
        lines.append(
            f"django-import-export: {peer['rows_per_s']:,.0f} rows/s on {peer['rows']} rows "
            f"(ours {peer['ours_vs_peer']}x)"
        )
    return lines
