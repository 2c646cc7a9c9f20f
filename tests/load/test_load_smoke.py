"""The load test's CI smoke: gunicorn (DEBUG off, 2 workers × 4 threads) on the test database with a few seeded
staff and shops, and Locust headless for LOAD_SMOKE_SECONDS (30) with 10 users — managers, supervisors and an
integration client, scripts/load/locustfile.py unchanged but for its pace: every pause between clicks × 0.05
(LOAD_THINK_SCALE) and the phones' offline refresh within 20 s instead of 10 minutes, so that every page type comes
up in 30 s. Asserts an error rate below 0.1 % and that every page type was exercised; prints p50/p95 per page
type. `make load` runs the same file at scale and at the documented pace by hand (README)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.load.measures import locust_stats
from segmentation.segments.services import segment_create
from tests.accounts.factories import RetailerFactory
from tests.servers import gunicorn
from tests.users.factories import ManagerFactory, RouteFactory

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("LOAD_SMOKE_SECONDS", "30"))
USERS = 10
PASSWORD = "load-smoke-2026"
# each kind of user must have worked (which of a supervisor's pages comes up in 30 s is left to chance)
MANAGER_PAGES = {
    "daily list",
    "portrait",
    "portrait panel",
    "portrait section",
    "visit form",
    "visit record",
    "offline urls",
    "offline copy",
}
SUPERVISOR_PAGES = {"retailer list", "segments", "cockpit", "daily list (supervisor)", "coverage"}
INTEGRATION_PAGES = {"api retailers page"}
EVERYONE = {"login", "home"}


@pytest.fixture
def staff(dept_a, route_a, supervisor_a, county_a, integration_user):
    """Three managers with 15 shops each, county A's supervisor, a segment, and the integration's token."""
    managers = [ManagerFactory(username=f"load_cm{n}", org_unit=dept_a) for n in range(3)]
    for n, manager in enumerate(managers):
        route = RouteFactory(code=f"LD-{n:02d}", org_unit=dept_a, manager=manager)
        for _ in range(15):
            RetailerFactory(route=route)
    for user in [*managers, supervisor_a]:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    segment_create(
        user=supervisor_a, name="老城全部", org_unit=county_a, definition={"op": "and", "rules": []}
    )
    from bench.load.logins import second_factor_codes
    from users.services import api_token_create

    _token, key = api_token_create(user=integration_user, name="load smoke")
    return {
        "managers": [m.username for m in managers],
        "supervisors": [supervisor_a.username],
        "token": key,
        "otp_codes": second_factor_codes(usernames=[supervisor_a.username]),
    }


@pytest.mark.django_db(transaction=True)
def test_thirty_seconds_of_ten_users_leave_errors_below_a_tenth_of_a_percent(staff, tmp_path, capsys):
    prefix = tmp_path / "smoke"
    with gunicorn(workers=2, threads=4) as server:
        run = subprocess.run(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "scripts/load/locustfile.py"),
                "--headless",
                "--users",
                str(USERS),
                "--spawn-rate",
                str(USERS),
                "--run-time",
                f"{SECONDS}s",
                "--host",
                server.base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--exit-code-on-error",
                "0",
            ],
            env={
                **os.environ,
                "LOAD_MANAGERS": ",".join(staff["managers"]),
                "LOAD_SUPERVISORS": ",".join(staff["supervisors"]),
                "LOAD_PASSWORD": PASSWORD,
                "LOAD_API_TOKEN": staff["token"],
                "LOAD_OTP_CODES": json.dumps(staff["otp_codes"]),
                "LOAD_MAX_REQUESTS": "20000",
                "LOAD_THINK_SCALE": "0.05",
                "LOAD_PRECACHE_SECONDS": "20",
            },
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SECONDS + 90,
        )
        server_log = server.log()
    assert run.returncode == 0, run.stderr[-3000:]
    stats = locust_stats(prefix)  # as `make load` reads them
    made = {name: row for name, row in stats.items() if row["type"] != "PAGE" and name != "Aggregated"}
    requests = sum(row["requests"] for row in made.values())
    failures = sum(row["failures"] for row in made.values())
    failed = {name: row["failures"] for name, row in made.items() if row["failures"]}
    assert requests > 0
    assert failures / requests < 0.001, f"{failures} of {requests} failed: {failed}\n{run.stderr[-2000:]}"
    assert set(stats) >= EVERYONE | MANAGER_PAGES | INTEGRATION_PAGES, set(stats)
    assert set(stats) & SUPERVISOR_PAGES, set(stats)
    assert "Traceback" not in server_log, server_log
    with capsys.disabled():
        print(f"\n[load smoke] {USERS} users, {SECONDS} s: {requests} requests, {failures} failed")  # noqa: T201
        for name in sorted(stats):
            row = stats[name]
            print(  # noqa: T201
                f"  {name:28} n={row['requests']:5}  p50={row['p50_ms']:>6.0f} ms  p95={row['p95_ms']:>6.0f} ms"
            )
