"""`bench memory`: the peak resident memory of a full nightly scoring run (what `bench rescore` times) and of an
import of a retailer file of the scale's size (what `bench import` does), each in a fresh child process
(`manage.py bench_memory_child`), against the baseline of a child that only starts Django and connects.

DESIGN.md: import and rescore peak RSS at province ≤ 2 GB, and flat from 10k to 100k retailers (compare work_mb of
`--scale small` and `--scale province`). The whole peak of a child counts against the 2 GB (that is what the
machine must hold); work_mb = peak − baseline is the part the work itself adds.

A child of its own per measure, one after the other, so that one measure never inherits another's peak (nor the
seeding's, nor this process's). Each child reports the high-water mark of its own address space as it ends (VmHWM,
bench.runner.address_space_peak_mb). wait4's ru_maxrss of the child is not used: Linux folds into it the
high-water mark of the address space the child had before its exec — this process's, forked — so a child of a
600 MB parent that does nothing reads 600 MB there.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection

from bench import rescore
from bench.imports.benchmark import import_file, import_user
from bench.imports.files import RETAILER_HEADER, cleanup, ensure_org_and_products, retailer_rows, write_csv
from bench.runner import (
    SCALES,
    BenchError,
    address_space_peak_mb,
    analyze,
    database_url,
    environment,
)

ROOT = Path(__file__).resolve().parent.parent
PEAK_MB_MAX = 2048  # at every scale
# Retailers seeded with order history, and rows in the imported file, per scale (a test makes them smaller).
SIZES: dict[str, int] = dict(SCALES)
WEEKS = rescore.WEEKS  # of weekly orders behind the scoring run
MEASURES = {
    "rescore": "full nightly scoring run (scoring_run_start + scoring_run_execute), as `bench rescore` times it",
    "import": "retailer file import as `bench import` does it (upload, validate, commit), GBK CSV",
}
BASELINE = "a child that only starts Django (django.setup()) and connects to the database"
LOG_TAIL_LINES = 15


# --- in the child (manage.py bench_memory_child) ----------------------------------------------------------------


def child_measure(what: str, *, path: str | None = None) -> dict:
    """Do `what` ("baseline", "rescore" or "import" of the file at `path`) in this process, then report its rows,
    seconds and the peak of this process's address space."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    rows = 0
    started = time.perf_counter()
    if what == "rescore":
        rows = rescore.scoring_run().scored_count
    elif what == "import":
        if not path:
            raise BenchError("an import child needs the file to import")
        _seconds, job = import_file(Path(path), "retailers", import_user())
        rows = job.created_count
    elif what != "baseline":
        raise BenchError(f"unknown measure '{what}'")
    seconds = time.perf_counter() - started
    peak_mb, method = address_space_peak_mb()
    return {
        "what": what,
        "rows": rows,
        "seconds": round(seconds, 3),
        "peak_mb": round(peak_mb, 1),
        "method": method,
    }


# --- in the bench process ---------------------------------------------------------------------------------------


def _child(what: str, folder: Path, *, path: Path | None = None) -> dict:
    """Run `manage.py bench_memory_child what` on this database with DEBUG off, wait for it, return its report.
    BenchError, with the end of its output, when it fails."""
    out = folder / f"{what}.json"
    log = folder / f"{what}.log"
    command = [sys.executable, str(ROOT / "manage.py"), "bench_memory_child", what, "--out", str(out)]
    if path is not None:
        command += ["--file", str(path)]
    env = {
        **os.environ,  # DJANGO_SETTINGS_MODULE included (settings.SETTINGS_MODULE is None under override_settings)
        "DATABASE_URL": database_url(),  # the test database under pytest
        "DEBUG": "0",  # query logging would grow with the work
        "LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as log_file:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT
        )
        _pid, status, _usage = os.wait4(child.pid, 0)  # (its ru_maxrss carries this process's peak: unused)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall_seconds = time.perf_counter() - started
    if child.returncode != 0 or not out.exists():
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-LOG_TAIL_LINES:])
        raise BenchError(f"the {what} child exited {child.returncode}:\n{tail}")
    return {**json.loads(out.read_text(encoding="utf-8")), "wall_seconds": round(wall_seconds, 3)}


def _measure(report: dict, baseline: dict) -> dict:
    return {
        "what": MEASURES[report["what"]],
        "peak_mb": report["peak_mb"],
        "baseline_mb": baseline["peak_mb"],
        "work_mb": round(report["peak_mb"] - baseline["peak_mb"], 1),
        "rows": report["rows"],
        "seconds": report["seconds"],  # of the work, in the child
        "wall_seconds": report["wall_seconds"],  # of the child, start-up included
        "over_target": report["peak_mb"] > PEAK_MB_MAX,
    }


def run(*, scale: str, iterations: int = 1, seed: int = 20261123, stdout=None) -> dict:
    """Run the memory benchmark at `scale`. `seed` picks the imported file's values; `iterations` is unused (one
    child per measure: a peak does not need a median)."""
    from accounts.models import Retailer

    count = SIZES[scale]
    seed_seconds = rescore.ensure_history(count, weeks=WEEKS, stdout=stdout)
    ensure_org_and_products(stdout)
    import_user()  # no admin to import as: say so here rather than from the child
    analyze(*rescore.TABLES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cleanup()  # an earlier run's imported retailers
        retailer_file = folder / "retailers.csv"
        written = write_csv(
            retailer_file,
            RETAILER_HEADER,
            retailer_rows(count, random.Random(seed)),
            "gbk",
        )
        try:
            baseline = _child("baseline", folder)
            # the scoring run before the import: it scores the seeded retailers only, as `bench rescore` does
            scoring = _child("rescore", folder)
            imported = _child("import", folder, path=retailer_file)
        finally:
            cleanup()
    if imported["rows"] != written:
        raise BenchError(f"expected {written:,} retailers imported, the import created {imported['rows']:,}")
    measured = {"rescore": _measure(scoring, baseline), "import": _measure(imported, baseline)}
    over = [name for name, figures in measured.items() if figures["over_target"]]
    result = {
        "name": "memory",
        "scale": scale,
        "retailers": Retailer.objects.count(),
        "unit": "MiB, peak resident set of the child's own address space",
        "method": baseline["method"],
        "baseline": {
            "what": BASELINE,
            "peak_mb": baseline["peak_mb"],
            "wall_seconds": baseline["wall_seconds"],
        },
        "measured": measured,
        "ratio": {
            name: round(figures["peak_mb"] / baseline["peak_mb"], 2) for name, figures in measured.items()
        },
        "target": {
            "peak_mb_max": PEAK_MB_MAX,
            "met": not over,
            "flat": "compare measured.*.work_mb of --scale small (10k) and --scale province (100k)",
        },
        "seed_seconds": round(seed_seconds, 3),
        "environment": environment(),
    }
    if over:
        raise BenchError(
            " and ".join(f"{name} peaked at {measured[name]['peak_mb']:,.0f} MB" for name in over)
            + f": over the {PEAK_MB_MAX:,} MB target",
            result=result,
        )
    return result


def summary_lines(result: dict) -> list[str]:
    base, target = result["baseline"], result["target"]
    lines = [
        f"bench memory · scale {result['scale']} · {result['retailers']:,} retailers · peak of each child "
        f"({result['method']}) · seeded in {result['seed_seconds']:.1f}s",
        f"  baseline (django.setup + connect) {base['peak_mb']:8.1f} MB",
    ]
    for name, figures in result["measured"].items():
        lines.append(
            f"  {name:<33} {figures['peak_mb']:8.1f} MB   (+{figures['work_mb']:.1f} MB for the work, "
            f"{figures['rows']:,} rows in {figures['seconds']:.1f}s)"
        )
    lines.append(f"  target peak <= {target['peak_mb_max']:,} MB: {'met' if target['met'] else 'NOT met'}")
    return lines
