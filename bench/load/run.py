"""`manage.py load_test` (what `make load` runs): the Locust load test (scripts/load/locustfile.py) against gunicorn
on the production settings — DEBUG off, secure cookies, the manifest static storage, Redis — at whatever database
is configured, on 127.0.0.1 only, while a campaign to every consenting retailer sends through the fake gateway
with a real Celery worker (bench.load.campaign; --no-campaign to leave it out). Prints p50/p95 per page type and
the error rate — for the whole run and for its steady part (after the logins' ramp) —, where the server's time
went per page type (bench.load.wsgi: CPU, database, waiting), the send rate and the busiest second against the
limit, and the machine's CPU use and load average; writes them as JSON.

Who logs in: the database's own active customer managers (those with shops on a route) and supervisors, with
LOAD_PASSWORD (default: the demo password); an integration login `loadtest-api` and its API token are created
if missing. Run it on the demo or a benchmark database, not on a live one: the managers record visits.

Redis: REDIS_URL if set; otherwise a private `redis-server` on a free port for the run (production settings
demand Redis). The TLS proxy production runs behind is played by the client (X-Forwarded-Proto), so gunicorn
serves plain HTTP on 127.0.0.1 with SECURE_SSL_REDIRECT off."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.load.logins import load_devices_remove, logins
from bench.load.measures import CpuMeter, locust_stats, server_stats, window_stats
from bench.runner import LoadError, database_url

ROOT = Path(__file__).resolve().parent.parent.parent
LOCUSTFILE = ROOT / "scripts/load/locustfile.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
    from bench.load import campaign as load_campaign

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
                "bench.load.wsgi:application",  # crm.wsgi's application, timed per request
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
    pages = locust_stats(prefix)
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
