"""`manage.py load_test` (what `make load` runs): the Locust load test (scripts/load/locustfile.py) against gunicorn
on the production settings — DEBUG off, secure cookies, the manifest static storage, Redis — at whatever database
is configured, on 127.0.0.1 only. Prints p50/p95 per page type and the error rate, and writes them as JSON.

Who logs in: the database's own active customer managers (those with shops on a route) and supervisors, with
LOAD_PASSWORD (default: the demo password); an integration login `loadtest-api` and its API token are created
if missing. Run it on the demo or a benchmark database, not on a live one: the managers record visits.

Redis: REDIS_URL if set; otherwise a private `redis-server` on a free port for the run (production settings
demand Redis). The TLS proxy production runs behind is played by the client (X-Forwarded-Proto), so gunicorn
serves plain HTTP on 127.0.0.1 with SECURE_SSL_REDIRECT off.
"""

import csv
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


def run(
    *,
    users: int,
    seconds: int,
    spawn_rate: int,
    max_requests: int,
    workers: int,
    threads: int,
    password: str,
    stdout,
) -> dict:
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
    web = None
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
                "crm.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--keep-alive",
                "10",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=env,
            stdout=(log_dir / "gunicorn.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if web.poll() is not None or time.monotonic() > deadline:
                raise LoadError(f"gunicorn did not start; see {log_dir / 'gunicorn.log'}")
            time.sleep(0.5)
        stdout.write(
            f"gunicorn {workers} workers × {threads} threads at {base}; Locust: {users} users for {seconds} s "
            f"(at most {max_requests:,} requests), {len(who['managers'])} manager and "
            f"{len(who['supervisors'])} supervisor logins"
        )
        prefix = log_dir / "locust"
        started = time.monotonic()
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
                str(spawn_rate),
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
            },
            check=True,
            stdout=(log_dir / "locust.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        elapsed = time.monotonic() - started
    finally:
        load_devices_remove()
        for process in (web, redis):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
    pages = _stats(Path(f"{prefix}_stats.csv"))
    total = pages.pop("Aggregated")
    server_errors = (log_dir / "gunicorn.log").read_text(errors="replace").count("Traceback")
    return {
        "name": "load",
        "users": users,
        "seconds": round(elapsed, 1),
        "gunicorn": {"workers": workers, "threads": threads, "settings": "crm.settings.production"},
        "requests": total["requests"],
        "failures": total["failures"],
        "error_rate": round(total["failures"] / total["requests"], 5) if total["requests"] else None,
        "per_second": total["per_second"],
        "p50_ms": total["p50_ms"],
        "p95_ms": total["p95_ms"],
        "server_tracebacks": server_errors,
        "pages": pages,
        "logs": str(log_dir),
    }


def summary_lines(result: dict) -> list[str]:
    lines = [
        f"load · {result['users']} users · {result['seconds']} s · gunicorn {result['gunicorn']['workers']}×"
        f"{result['gunicorn']['threads']} · {result['requests']:,} requests ({result['per_second']}/s), "
        f"{result['failures']} failed (error rate {result['error_rate']:.3%}), p50 {result['p50_ms']:.0f} ms, "
        f"p95 {result['p95_ms']:.0f} ms; server tracebacks {result['server_tracebacks']}",
    ]
    for name, page in sorted(result["pages"].items()):
        lines.append(
            f"  {name:28} {page['requests']:7,}  p50 {page['p50_ms']:6.0f} ms  p95 {page['p95_ms']:6.0f} ms  "
            f"failed {page['failures']}"
        )
    lines.append(f"  logs and Locust CSV: {result['logs']}")
    return lines


def write_json(result: dict, path: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
