"""What the load test measures: Locust's figures per page type (whole run and a time window), the timed server's
split of each page type's time (bench.load.wsgi), and the machine's CPU."""

import csv
import math
import os
import resource
import subprocess
from pathlib import Path


def locust_stats(prefix: Path) -> dict[str, dict]:
    """Locust's figures per name, from the `<prefix>_stats.csv` that `locust --csv <prefix>` writes."""
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as handle:
        return {
            row["Name"]: {
                "type": row["Type"],
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "per_second": round(float(row["Requests/s"]), 1),
            }
            for row in csv.DictReader(handle)
        }


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (as Locust reports them); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))]


def window_stats(path: Path, *, start: float, end: float) -> dict[str, dict]:
    """Per request name, the requests that started in [start, end) of the Locust record (`start,name,ms,ok`)."""
    times: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            started, name, ms, ok = line.rstrip("\n").rsplit(",", 3)
            if not start <= float(started) < end:
                continue
            times.setdefault(name, []).append(float(ms))
            failed[name] = failed.get(name, 0) + (ok != "1")
    seconds = max(end - start, 1e-9)
    return {
        name: {
            "requests": len(values),
            "failures": failed[name],
            "p50_ms": round(percentile(values, 0.5)),
            "p95_ms": round(percentile(values, 0.95)),
            "per_second": round(len(values) / seconds, 1),
        }
        for name, values in times.items()
    }


def server_stats(log_dir: Path) -> dict[str, dict]:
    """Per page type, the server's time (bench.load.wsgi): mean wall, CPU, database and the rest, p95 wall, queries."""
    rows: dict[str, list[tuple[float, float, float, int]]] = {}
    for path in log_dir.glob("server-*.csv"):
        for line in path.read_text(encoding="utf-8").splitlines():
            page, _status, wall, cpu, db, queries = line.split(",")
            if page == "-":
                continue  # not the load's (the health checks)
            rows.setdefault(page, []).append((float(wall), float(cpu), float(db), int(queries)))
    result = {}
    for page, values in rows.items():
        n = len(values)
        wall, cpu, db = (sum(v[i] for v in values) / n for i in range(3))
        result[page] = {
            "requests": n,
            "wall_ms": round(wall, 1),
            "wall_p95_ms": round(percentile([v[0] for v in values], 0.95), 1),
            "cpu_ms": round(cpu, 1),
            "db_ms": round(db, 1),
            "waiting_ms": round(max(0.0, wall - cpu - db), 1),
            "queries": round(sum(v[3] for v in values) / n, 1),
            "cpu_seconds_total": round(cpu * n / 1000, 1),
        }
    return result


class CpuMeter:
    """The machine's CPU use over the run (/proc/stat through psutil) and the CPU seconds spent by the load's own
    processes: gunicorn, the Celery worker, the PostgreSQL backends connected to this database, and Locust."""

    def __init__(self, *, database: str, processes: dict[str, subprocess.Popen | None]):
        import psutil

        self._psutil = psutil
        self.database = database
        self.processes = processes
        self._trees = self._tree_seconds()
        self._start = psutil.cpu_times()
        self._backends = self._backend_seconds()
        self._children = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.load_start = os.getloadavg()

    def _backend_seconds(self) -> dict[int, float]:
        seconds = {}
        for process in self._psutil.process_iter(["cmdline", "cpu_times"]):
            cmdline = " ".join(process.info["cmdline"] or [])
            if cmdline.startswith("postgres:") and f" {self.database} " in f"{cmdline} ":
                times = process.info["cpu_times"]
                seconds[process.pid] = times.user + times.system
        return seconds

    def _tree_seconds(self) -> dict[str, float]:
        psutil = self._psutil
        seconds = {}
        for name, process in self.processes.items():
            if process is None or process.poll() is not None:
                continue
            try:
                tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
                seconds[name] = sum(p.cpu_times().user + p.cpu_times().system for p in tree)
            except psutil.Error:
                continue
        return seconds

    def stop(self) -> dict:
        psutil = self._psutil
        end = psutil.cpu_times()
        busy = sum(
            getattr(end, f) - getattr(self._start, f) for f in ("user", "system", "nice", "irq", "softirq")
        )
        total = sum(end) - sum(self._start)
        mine = {
            name: round(seconds - self._trees.get(name, 0.0), 1)
            for name, seconds in self._tree_seconds().items()
        }
        backends = self._backend_seconds()
        mine["postgres (this database)"] = round(
            sum(seconds - self._backends.get(pid, 0.0) for pid, seconds in backends.items()), 1
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        mine["locust"] = round(
            children.ru_utime + children.ru_stime - self._children.ru_utime - self._children.ru_stime, 1
        )
        return {
            "cores": psutil.cpu_count(),
            "busy_share": round(busy / total, 3) if total else None,
            "load_average_start": [round(x, 2) for x in self.load_start],
            "load_average_end": [round(x, 2) for x in os.getloadavg()],
            "cpu_seconds": mine,
        }
