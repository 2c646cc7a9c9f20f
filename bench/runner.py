"""What every benchmark shares: scales, demo data of the right size, timing, percentiles, peak RSS, JSON."""

import datetime
import json
import math
import os
import platform
import resource
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from django.core.management import call_command
from django.db import connection

# Retailers per scale. tiny is the CI smoke run; province is the size the DESIGN.md targets are stated for.
SCALES: dict[str, int] = {"tiny": 2_000, "small": 10_000, "province": 100_000}


class LoadError(Exception):
    """The load test could not run (no Redis, gunicorn did not start, no one to log in as)."""


class BenchError(Exception):
    """A benchmark found the app misbehaving (e.g. an unfiltered COUNT(*)) or could not run: exit non-zero.
    `result`, when given, holds the figures measured before the failure; the command writes them with ok=false."""

    def __init__(self, message: str, *, result: dict | None = None):
        super().__init__(message)
        self.result = result


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation between the closest ranks (numpy's default)."""
    if not samples:
        raise ValueError("no samples")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[float]) -> dict:
    """p50/p95 and friends of a list of durations in seconds."""
    return {
        "n": len(samples),
        "p50": percentile(samples, 50),
        "p95": percentile(samples, 95),
        "mean": sum(samples) / len(samples),
        "min": min(samples),
        "max": max(samples),
    }


def timed(call: Callable[[], object]) -> tuple[float, object]:
    """Run `call` once; return (seconds, its result)."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def address_space_peak_mb() -> tuple[float, str]:
    """(peak resident set size of this process's own address space in MiB, how it was read).

    On Linux this is VmHWM of /proc/self/status: the high-water mark of the address space the process has had since
    its exec, whoever started it. ru_maxrss (peak_rss_mb above, or wait4's) also folds in the high-water mark of the
    address space that exec replaced: a child forked from a process of 600 MB reports 600 MB however little it uses.
    Elsewhere, ru_maxrss it is."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return peak_rss_mb(), "ru_maxrss"
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024, "VmHWM"  # kB
    return peak_rss_mb(), "ru_maxrss"


def rss_mb() -> float:
    """Resident set size of this process now, in MiB (the peak above includes any seeding)."""
    import psutil

    return psutil.Process().memory_info().rss / (1024 * 1024)


class MemoryWatch:
    """Sample this process's RSS every 20 ms while a block runs; report the peak above the starting level."""

    def __init__(self):
        self.start = self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        self.start = self.peak = rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth_mb(self) -> float:
        return round(self.peak - self.start, 1)


def ensure_retailers(count: int, *, stdout=None) -> float:
    """Make the database hold exactly `count` demo retailers, reseeding (with --flush) when it holds another
    number. Returns the seconds spent seeding (0 when the data was already there)."""
    from accounts.models import Retailer

    if Retailer.objects.count() == count:
        return 0.0
    started = time.perf_counter()
    call_command("seed_demo", "--flush", "--retailers", str(count), stdout=stdout, verbosity=0)
    return time.perf_counter() - started


def ensure_static_collected() -> None:
    """Pages are measured with DEBUG off, which serves static files through the manifest storage: collect them
    first when the manifest is missing (as `make run` does before it starts), or every page would fail."""
    from django.contrib.staticfiles.storage import staticfiles_storage

    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not staticfiles_storage.exists(manifest):
        call_command("collectstatic", interactive=False, verbosity=0)


def ensure_migrated() -> None:
    """Refuse to measure a database whose schema lags behind the code (the error would come mid-run)."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _backwards in pending[:5])
        raise BenchError(f"{len(pending)} migration(s) not applied ({names}…): run `manage.py migrate` first")


def analyze(*tables: str) -> None:
    """Fresh planner statistics, so a benchmark never measures plans made for an empty table."""
    with connection.cursor() as cursor:
        if tables:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
        else:
            cursor.execute("ANALYZE")


def environment() -> dict:
    """Where the figures come from, so two JSON files can be compared knowingly."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    return {
        "python": platform.python_version(),
        "postgresql": server,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],  # other work on the machine skews p95
        "at": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
    }


def database_url() -> str:
    """The URL of the database this process is connected to (the test database under pytest), for a child."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"


def write_json(path: str | Path, data: dict) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return path


BENCH_DEVICE_NAME = "manage.py bench (temporary)"


def staff_client(user):
    """A Django test client logged in as `user` the way a person is: past two-factor too when the role requires it
    (users.twofactor), through a confirmed TOTP device the bench adds for the run — a person's own device is not
    touched — and removes afterwards (bench_devices_remove, called by the command whatever happens)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from users.middleware import LAST_SEEN_KEY
    from users.twofactor.selectors import otp_required

    client = Client()
    client.force_login(user)
    session = client.session
    # The idle-timeout clock (users.middleware) rewrites a session at most once a minute; stamped a day ahead, the
    # bench's sessions are never rewritten while it measures, so a session save is not counted as an N+1.
    session[LAST_SEEN_KEY] = int(time.time()) + 86_400
    session.save()
    if otp_required(user=user) or user.is_staff:
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name=BENCH_DEVICE_NAME, defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def bench_devices_remove() -> int:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _detail = TOTPDevice.objects.filter(name=BENCH_DEVICE_NAME).delete()
    return removed


def page_samples(client, url: str, iterations: int) -> tuple[list[float], int]:
    """GET `url` `iterations` times (after one warming request); the seconds of each and the queries one request
    ran (counted by a wrapper: a request resets Django's own query log when it starts)."""
    client.get(url)  # warm: session, caches, template loading
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        answer = client.get(url)
    if answer.status_code != 200:
        raise BenchError(f"GET {url} answered {answer.status_code}")
    seconds = [timed(lambda: client.get(url))[0] for _ in range(iterations)]
    return seconds, len(executed)


def samples(read, iterations: int) -> list[float]:
    """The seconds of `iterations` calls of `read`, after one warming call."""
    read()  # warm
    return [timed(read)[0] for _ in range(iterations)]


def busiest_manager():
    """The active customer manager with the most shops (the workspace's worst case at this scale)."""
    from django.db.models import Count

    from users.models import User

    manager = (
        User.objects.filter(role=User.Role.MANAGER, is_active=True)
        .annotate(shops=Count("routes__retailers"))
        .order_by("-shops", "pk")
        .first()
    )
    if manager is None:
        raise BenchError("the demo data has no customer manager")
    return manager
