"""`manage.py load_test` (what `make load` runs): the Locust load test (scripts/load/locustfile.py) against gunicorn
on the production settings — DEBUG off, secure cookies, the manifest static storage, Redis — at whatever database
is configured, on 127.0.0.1 only, while a campaign to every consenting retailer sends through the fake gateway
with a real Celery worker (bench.load_campaign; --no-campaign to leave it out). Prints p50/p95 per page type and
the error rate — for the whole run and for its steady part (after the logins' ramp) —, where the server's time
went per page type (bench.load_wsgi: CPU, database, waiting), the send rate and the busiest second against the
limit, and the machine's CPU use and load average; writes them as JSON.

Who logs in: the database's own active customer managers (those with shops on a route) and supervisors, with
LOAD_PASSWORD (default: the demo password); an integration login `loadtest-api` and its API token are created
if missing. Run it on the demo or a benchmark database, not on a live one: the managers record visits.

Redis: REDIS_URL if set; otherwise a private `redis-server` on a free port for the run (production settings
demand Redis). The TLS proxy production runs behind is played by the client (X-Forwarded-Proto), so gunicorn
serves plain HTTP on 127.0.0.1 with SECURE_SSL_REDIRECT off.
"""

import csv
import json
import math
import os
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.runner import database_url

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "scripts/load/locustfile.py"


class LoadError(Exception):
    pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def logins(*, users: int) -> dict:
    """Managers with shops and supervisors of this database, and the integration's token (created if missing)."""
    from django.db.models import Exists, OuterRef

    from accounts.models import Retailer
    from users.models import OrgUnit, Route, User

    with_shops = Exists(Retailer.objects.filter(route__manager=OuterRef("pk")))
    managers = list(
        User.objects.filter(is_active=True, role=User.Role.MANAGER, pk__in=Route.objects.values("manager"))
        .filter(with_shops)
        .order_by("username")
        .values_list("username", flat=True)[:users]
    )
    supervisors = list(
        User.objects.filter(is_active=True, role=User.Role.SUPERVISOR)
        .order_by("username")
        .values_list("username", flat=True)[:users]
    )
    if not managers or not supervisors:
        raise LoadError(
            "no customer manager with shops or no supervisor here: load demo data first (make run)"
        )
    integration = User.objects.filter(username="loadtest-api").first()
    if integration is None:
        from users.services import user_create

        company = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        integration = user_create(
            username="loadtest-api",
            password=secrets.token_hex(16),
            role=User.Role.INTEGRATION,
            org_unit=company,
        )
    from users.services import api_token_create

    _token, key = api_token_create(user=integration, name=LOAD_DEVICE_NAME, days=1)
    return {
        "managers": managers,
        "supervisors": supervisors,
        "token": key,
        "otp_codes": second_factor_codes(usernames=[*managers, *supervisors]),
    }


LOAD_DEVICE_NAME = "load test (temporary)"
CODES_PER_LOGIN = 40  # each simulated login of a two-factor role spends one


def second_factor_codes(*, usernames: list[str]) -> dict[str, list[str]]:
    """For the logins whose role needs two-factor (users.twofactor), single-use recovery codes on a device of the
    load test's own, as a person types one from their list; removed after the run (load_devices_remove)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from users.models import User
    from users.twofactor.selectors import otp_required

    codes = {}
    for user in User.objects.filter(username__in=usernames):
        if not (otp_required(user=user) or user.is_staff):
            continue
        if not TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists():  # not enrolled (demo data): as if
            TOTPDevice.objects.create(user=user, name=LOAD_DEVICE_NAME, confirmed=True)
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=LOAD_DEVICE_NAME, confirmed=True
        )
        tokens = [StaticToken.random_token() for _ in range(CODES_PER_LOGIN)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
        codes[user.username] = tokens
    return codes


def load_devices_remove() -> None:
    """The load test's own second-factor devices and API tokens."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from users.models import ApiToken

    StaticDevice.objects.filter(name=LOAD_DEVICE_NAME).delete()
    TOTPDevice.objects.filter(name=LOAD_DEVICE_NAME).delete()
    ApiToken.objects.filter(name=LOAD_DEVICE_NAME).delete()


def _redis(log_dir: Path) -> tuple[str, subprocess.Popen | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    server = shutil.which("redis-server")
    if server is None:
        raise LoadError("production settings need Redis: set REDIS_URL or install redis-server")
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - the system's redis-server
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=(log_dir / "redis.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return f"redis://127.0.0.1:{port}/0", process


def _stats(path: Path) -> dict[str, dict]:
    with path.open(encoding="utf-8") as handle:
        return {
            row["Name"]: {
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
    """Per page type, the server's time (bench.load_wsgi): mean wall, CPU, database and the rest, p95 wall, queries."""
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


def _wait_healthy(base: str, web: subprocess.Popen, log_dir: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=30).status_code == 200:
                return
        except requests.RequestException:
            pass
        if web.poll() is not None or time.monotonic() > deadline:
            raise LoadError(f"gunicorn did not start; see {log_dir / 'gunicorn.log'}")
        time.sleep(0.5)


def _stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def run(
    *,
    users: int,
    seconds: int,
    ramp_seconds: int,
    max_requests: int,
    workers: int,
    threads: int,
    password: str,
    campaign: bool,
    think_scale: float = 1.0,
    stdout,
) -> dict:
    from bench import load_campaign

    log_dir = Path(tempfile.mkdtemp(prefix="load-"))
    who = logins(users=users)
    redis_url, redis = _redis(log_dir)
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.production",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # the client plays the TLS proxy (X-Forwarded-Proto: https)
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    web = worker = gateway = None
    campaign_id = None
    sends = deliveries = None
    record = log_dir / "requests.csv"
    try:
        stdout.write("collectstatic (production storage) …")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.load_wsgi:application",  # crm.wsgi's application, timed per request
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--keep-alive",
                "75",  # longer than a person's pause (and nginx's keepalive_timeout)
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env={**env, "LOAD_TIMING_DIR": str(log_dir)},
            stdout=(log_dir / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        if campaign:
            gateway = load_campaign.gateway_start()
            worker = load_campaign.worker_start(env=env, gateway=gateway, log_dir=log_dir)
        _wait_healthy(base, web, log_dir)
        if campaign:
            campaign_id, audience = load_campaign.campaign_launch_in(env=env)
            stdout.write(f"campaign #{campaign_id} to {audience:,} consenting retailers launched")
        stdout.write(
            f"gunicorn {workers} workers × {threads} threads at {base}; Locust: {users} users for {seconds} s, "
            f"logins ramped over {ramp_seconds} s (at most {max_requests:,} requests), "
            f"{len(who['managers'])} manager and {len(who['supervisors'])} supervisor logins"
        )
        prefix = log_dir / "locust"
        meter = CpuMeter(database=connection_database(), processes={"gunicorn": web, "celery worker": worker})
        started = time.time()
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--headless",
                "--users",
                str(users),
                "--spawn-rate",
                f"{users / max(ramp_seconds, 1):.3f}",
                "--run-time",
                f"{seconds}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
                "--stop-timeout",
                "5",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "LOAD_MANAGERS": ",".join(who["managers"]),
                "LOAD_SUPERVISORS": ",".join(who["supervisors"]),
                "LOAD_PASSWORD": password,
                "LOAD_API_TOKEN": who["token"],
                "LOAD_OTP_CODES": json.dumps(who["otp_codes"]),
                "LOAD_MAX_REQUESTS": str(max_requests),
                "LOAD_BEHIND_PROXY": "1",
                "LOAD_THINK_SCALE": str(think_scale),
                "LOAD_RECORD": str(record),
                "LOAD_PRECACHE_SECONDS": str(settings_value("FIELD_OFFLINE_REFRESH_SECONDS")),
            },
            check=True,
            stdout=(log_dir / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        ended = time.time()
        cpu = meter.stop()
        seconds_run = max(time.time() - started, 1e-9)
        serving = cpu["cpu_seconds"].get("gunicorn", 0) + cpu["cpu_seconds"].get(
            "postgres (this database)", 0
        )
        # what the load itself used, whatever the other tenants of the machine did: the cores for serving the
        # users (gunicorn and PostgreSQL, the campaign's queries included) and for everything of the load
        cpu["serving_cores"] = round(serving / seconds_run, 2)
        cpu["load_cores"] = round(sum(cpu["cpu_seconds"].values()) / seconds_run, 2)
        cpu["users_per_serving_core"] = round(users / (serving / seconds_run), 1) if serving else None
        if gateway is not None:
            sends = load_campaign.send_figures(
                per_second=gateway.per_second_counts(),
                start=started,
                end=ended,
                limit=settings_value("CAMPAIGNS_RATE_LIMIT_PER_SECOND"),
            )
            sends["gateway"] = gateway.stats()
    finally:
        if campaign_id is not None:
            _stop(worker)
            worker = None
            deliveries = load_campaign.campaign_end(campaign_id)
        load_devices_remove()
        for process in (web, worker, redis):
            _stop(process)
        if gateway is not None:
            gateway.stop()
    pages = _stats(Path(f"{prefix}_stats.csv"))
    pages.pop("Aggregated")
    # the requests made; a page with its parts ("… (with …)") is a figure of requests already counted
    made = [page for name, page in pages.items() if " (with " not in name]
    total = {
        "requests": sum(page["requests"] for page in made),
        "failures": sum(page["failures"] for page in made),
        "per_second": round(sum(page["per_second"] for page in made), 1),
    }
    server_errors = (log_dir / "gunicorn.log").read_text(errors="replace").count("Traceback")
    steady_start = started + ramp_seconds
    return {
        "name": "load",
        "users": users,
        "seconds": round(ended - started, 1),
        "ramp_seconds": ramp_seconds,
        "think_scale": think_scale,
        "gunicorn": {"workers": workers, "threads": threads, "settings": "crm.settings.production"},
        "requests": total["requests"],
        "failures": total["failures"],
        "error_rate": round(total["failures"] / total["requests"], 5) if total["requests"] else None,
        "per_second": total["per_second"],
        "server_tracebacks": server_errors,
        "pages": pages,
        "steady": {
            "from_s": ramp_seconds,
            "to_s": round(ended - started, 1),
            "pages": window_stats(record, start=steady_start, end=ended),
        },
        "server": server_stats(log_dir),
        "campaign": (
            {"id": campaign_id, "recipients": audience, "sends": sends, "deliveries": deliveries}
            if campaign_id
            else None
        ),
        "cpu": cpu,
        "logs": str(log_dir),
    }


def connection_database() -> str:
    from django.db import connection

    return connection.settings_dict["NAME"]


def settings_value(name: str):
    from django.conf import settings

    return getattr(settings, name)


# Page types a person waits for (the targets apply to these); the rest are background work or setup.
WAITED_FOR = (
    "home",
    "daily list",
    "portrait",
    "portrait (with portrait panels)",
    "portrait section",
    "visit form",
    "visit record",
    "retailer list",
    "segments",
    "segments (with segment counts)",
    "cockpit",
    "daily list (supervisor)",
    "coverage",
    "api retailers page",
)
P95_TARGET_MS = 500
ERROR_RATE_TARGET = 0.001


def summary_lines(result: dict) -> list[str]:
    cpu = result["cpu"]
    lines = [
        f"load · {result['users']} users · {result['seconds']} s (logins ramped over {result['ramp_seconds']} s) · "
        f"gunicorn {result['gunicorn']['workers']}×{result['gunicorn']['threads']} · {result['requests']:,} "
        f"requests ({result['per_second']}/s), {result['failures']} failed (error rate {result['error_rate']:.3%}); "
        f"server tracebacks {result['server_tracebacks']}",
        f"  machine: {cpu['cores']} cores {cpu['busy_share']:.0%} busy; load average at start "
        f"{'/'.join(str(x) for x in cpu['load_average_start'])}, at end {'/'.join(str(x) for x in cpu['load_average_end'])}; "
        f"CPU s: " + ", ".join(f"{k} {v}" for k, v in cpu["cpu_seconds"].items()),
        f"  the load used {cpu['load_cores']} cores, serving the users {cpu['serving_cores']} (gunicorn + PostgreSQL"
        f" of this database) = {cpu['users_per_serving_core']} users per core at full use",
        f"  {'page type':34} {'whole run':>26}   {'steady (after the ramp)':>30}",
    ]
    steady = result["steady"]["pages"]
    for name, page in sorted(result["pages"].items()):
        quiet = steady.get(name, {})
        mark = ""
        if name in WAITED_FOR and quiet:
            mark = "  ok" if quiet["p95_ms"] < P95_TARGET_MS else "  OVER"
        lines.append(
            f"  {name:34} {page['requests']:6,}  p50 {page['p50_ms']:6.0f}  p95 {page['p95_ms']:6.0f}   "
            f"{quiet.get('requests', 0):6,}  p50 {quiet.get('p50_ms', 0):6.0f}  p95 {quiet.get('p95_ms', 0):6.0f} ms"
            f"{mark}"
        )
    for name in sorted(set(steady) - set(result["pages"])):  # the pages with their parts
        quiet = steady[name]
        mark = "  ok" if quiet["p95_ms"] < P95_TARGET_MS else "  OVER"
        lines.append(
            f"  {name:34} {'':26}   {quiet['requests']:6,}  p50 {quiet['p50_ms']:6.0f}  p95 {quiet['p95_ms']:6.0f} ms"
            f"{mark}"
        )
    lines.append(
        f"  server time per request (means): {'wall':>6} {'cpu':>6} {'db':>6} {'wait':>6} {'queries':>7}"
    )
    for name, row in sorted(result["server"].items(), key=lambda item: -item[1]["cpu_seconds_total"]):
        lines.append(
            f"    {name:32} {row['requests']:6,} {row['wall_ms']:6.0f} {row['cpu_ms']:6.0f} {row['db_ms']:6.0f} "
            f"{row['waiting_ms']:6.0f} {row['queries']:7.1f}   (CPU {row['cpu_seconds_total']} s)"
        )
    campaign = result.get("campaign")
    if campaign:
        sends = campaign["sends"] or {}
        lines.append(
            f"  campaign #{campaign['id']} to {campaign['recipients']:,}: {sends.get('sent', 0):,} sent during the load, "
            f"{sends.get('per_second')}/s from the first send ({sends.get('first_send_after_s')} s after the start) "
            f"= {sends.get('share_of_limit')} of the limit; busiest second {sends.get('busiest_second')} vs limit "
            f"{sends.get('limit')}; deliveries at the end {campaign['deliveries']}"
        )
    lines.append(f"  logs and Locust CSV: {result['logs']}")
    return lines


def write_json(result: dict, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


def target_met(result: dict) -> bool:
    """Every page a person waits for at p95 < 500 ms in the steady part, and errors < 0.1 %."""
    steady = result["steady"]["pages"]
    pages = [steady[name] for name in WAITED_FOR if name in steady]
    requests_ = sum(page["requests"] for page in steady.values())
    failures = sum(page["failures"] for page in steady.values())
    return (
        bool(pages)
        and all(page["p95_ms"] < P95_TARGET_MS for page in pages)
        and (failures / requests_ if requests_ else 1) < ERROR_RATE_TARGET
    )


def capacity(results: list[dict]) -> dict:
    """The most users of the runs with the target met, and per core of the machine."""
    met = [result["users"] for result in results if target_met(result)]
    cores = results[0]["cpu"]["cores"]
    best = max(met, default=0)
    return {
        "runs": [
            {
                "users": result["users"],
                "target_met": target_met(result),
                "worst_p95_ms": max(
                    (
                        result["steady"]["pages"][n]["p95_ms"]
                        for n in WAITED_FOR
                        if n in result["steady"]["pages"]
                    ),
                    default=None,
                ),
                "worst_page": max(
                    (n for n in WAITED_FOR if n in result["steady"]["pages"]),
                    key=lambda n: result["steady"]["pages"][n]["p95_ms"],
                    default=None,
                ),
                "busy_share": result["cpu"]["busy_share"],
                "load_average_end": result["cpu"]["load_average_end"],
                "sends_per_second": (result.get("campaign") or {}).get("sends", {}).get("per_second"),
            }
            for result in results
        ],
        "users_at_target": best,
        "cores": cores,
        "users_per_core": round(best / cores, 1) if cores else None,
    }


def capacity_lines(figures: dict) -> list[str]:
    lines = ["capacity (steady part, every page a person waits for at p95 < 500 ms, errors < 0.1 %):"]
    for run_ in figures["runs"]:
        lines.append(
            f"  {run_['users']:4} users: worst p95 {run_['worst_p95_ms']} ms ({run_['worst_page']}), CPU {run_['busy_share']:.0%} busy, "
            f"load average {run_['load_average_end']}, sends {run_['sends_per_second']}/s — "
            f"{'met' if run_['target_met'] else 'NOT met'}"
        )
    lines.append(
        f"  → {figures['users_at_target']} users on {figures['cores']} cores = {figures['users_per_core']} per core"
    )
    return lines
