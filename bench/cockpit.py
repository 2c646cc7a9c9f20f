"""`bench cockpit`: the supervisor's cockpit against a raw aggregate over the same summaries, in one run.

    supervisor  GET / (the home, which is the cockpit) of a county bureau's supervisor, through Django's test
                client with a logged-in session: KPIs with the previous period and the 12-week trend, both league
                tables, alerts and notices; p50/p95 and the queries per page
    admin       GET /cockpit/ of the company administrator (the company's cockpit: counties and every manager)
    manager     GET / of a customer manager (the home, which is the workspace: today's visits, complaints,
                call-backs, licences, shops at risk, allocations); its selector must take at most 5 queries
    baseline    for the same unit (for the manager: the shops of their routes), the raw aggregate the cockpit's
                sales numbers come from, read straight from the weekly summaries: SELECT period_start,
                count(*) FILTER (ordered), sum(cartons), sum(amount) FROM sales_retailerperiodsummary
                JOIN accounts_retailer … over the unit's subtree and 13 weeks, GROUP BY period_start
    ratio       page p95 ÷ baseline p95 (target ≤ 3); the selectors alone (no HTTP, no template) are reported too

Setup: demo data of the scale with 13 weeks of orders (seeded only when the database holds another number of
retailers or no summaries), then one timed refresh of the KPI snapshots (the beat task's work)."""

import datetime
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from bench.runner import (
    SCALES,
    BenchError,
    analyze,
    busiest_manager,
    environment,
    page_samples,
    peak_rss_mb,
    samples,
    staff_client,
    summarize,
    timed,
)

TARGET_RATIO = 3.0
WEEKS = 13

BASELINE_SQL = """
SELECT s.period_start,
       count(*) FILTER (WHERE s.order_count > 0 AND r.status = 'active'),
       sum(s.cartons), sum(s.amount_fen)
FROM sales_retailerperiodsummary s
JOIN accounts_retailer r ON r.id = s.retailer_id
WHERE s.period = 'week' AND s.period_start = ANY(%s)
  AND r.org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %s)
GROUP BY s.period_start
"""
# the same aggregate over one customer manager's shops
MANAGER_BASELINE_SQL = BASELINE_SQL.replace(
    "r.org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %s)",
    "r.route_id IN (SELECT id FROM users_route WHERE manager_id = %s)",
)
WORKSPACE_QUERIES_MAX = 5


def _ensure_data(count: int, stdout) -> float:
    from accounts.models import Retailer
    from sales.models import RetailerPeriodSummary

    if Retailer.objects.count() == count and RetailerPeriodSummary.objects.filter(period="week").exists():
        return 0.0
    started = time.perf_counter()
    call_command(
        "seed_demo", "--flush", "--retailers", str(count), "--weeks", str(WEEKS), stdout=stdout, verbosity=0
    )
    return time.perf_counter() - started


def _cockpit_read(unit):
    from cockpit.models import Period
    from cockpit.selectors.cockpit import cockpit_get, default_start
    from cockpit.selectors.league import league_table

    start = default_start(Period.WEEK)

    def read():
        cockpit_get(unit=unit, period=Period.WEEK, start=start)
        league_table(unit=unit, by="unit", period=Period.WEEK, start=start)
        league_table(unit=unit, by="manager", period=Period.WEEK, start=start)

    return read


def _workspace_read(manager):
    from workspace.selectors import manager_workspace

    return lambda: manager_workspace(manager=manager)


def _queries(read) -> int:
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        read()
    return len(executed)


def _baseline_read(sql: str, key):
    from cockpit.models import Period
    from cockpit.periods import starts
    from cockpit.selectors.cockpit import default_start

    weeks = starts(Period.WEEK, default_start(Period.WEEK), WEEKS)

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, [weeks, key])
            cursor.fetchall()

    return run


def run(*, scale: str, iterations: int, seed: int, stdout) -> dict:
    from cockpit.services.snapshots import kpi_snapshots_refresh_current
    from users.models import OrgUnit, User

    count = SCALES[scale]
    seeded = _ensure_data(count, stdout)
    analyze()
    refresh_seconds, rows = timed(lambda: kpi_snapshots_refresh_current(today=timezone.localdate()))
    analyze("cockpit_kpisnapshot")
    supervisor = (
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, org_unit__kind=OrgUnit.Kind.COUNTY)
        .select_related("org_unit")
        .order_by("pk")
        .first()
    )
    admin = (
        User.objects.filter(role=User.Role.ADMIN, is_active=True)
        .select_related("org_unit")
        .order_by("pk")
        .first()
    )
    if supervisor is None or admin is None:
        raise BenchError("the demo data has no county supervisor or no admin")
    company = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    manager = busiest_manager()
    measures = {}
    # DEBUG is off while measuring and a benchmark database has no collectstatic manifest: plain static URLs
    plain_static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain_static}):
        for name, user, url, label, read, baseline_read in (
            (
                "supervisor",
                supervisor,
                "/",
                supervisor.org_unit.name,
                _cockpit_read(supervisor.org_unit),
                _baseline_read(BASELINE_SQL, supervisor.org_unit.path + "%"),
            ),
            (
                "admin",
                admin,
                f"/cockpit/?unit={company.pk}",
                company.name,
                _cockpit_read(company),
                _baseline_read(BASELINE_SQL, company.path + "%"),
            ),
            (
                "manager",
                manager,
                "/",
                manager.display_name or manager.username,
                _workspace_read(manager),
                _baseline_read(MANAGER_BASELINE_SQL, manager.pk),
            ),
        ):
            client = staff_client(user)
            page, queries = page_samples(client, url, iterations)
            selectors = samples(read, iterations)
            baseline = samples(baseline_read, iterations)
            measures[name] = {
                "unit": label,
                "retailers_in_unit": user_scope_size(user),
                "page": summarize(page),
                "selectors": summarize(selectors),
                "baseline": summarize(baseline),
                "queries_per_page": queries,
                "queries_per_selector": _queries(read),
                "ratio": summarize(page)["p95"] / summarize(baseline)["p95"],
                "selector_ratio": summarize(selectors)["p95"] / summarize(baseline)["p95"],
            }
    if measures["manager"]["queries_per_selector"] > WORKSPACE_QUERIES_MAX:
        raise BenchError(
            f"the workspace's selector took {measures['manager']['queries_per_selector']} queries "
            f"(at most {WORKSPACE_QUERIES_MAX})"
        )
    return {
        "name": "cockpit",
        "scale": scale,
        "retailers": count,
        "seeded_seconds": round(seeded, 1),
        "refresh": {"seconds": round(refresh_seconds, 3), "rows": rows},
        "measures": measures,
        "target_ratio": TARGET_RATIO,
        "peak_rss_mb": peak_rss_mb(),
        "environment": environment(),
        "at": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
    }


def user_scope_size(user) -> int:
    from accounts.selectors import retailer_scope

    return retailer_scope(user=user).count()


def summary_lines(result: dict) -> list[str]:
    ms = 1000
    lines = [
        f"bench cockpit · scale {result['scale']} · {result['retailers']:,} retailers · snapshot refresh "
        f"{result['refresh']['seconds']:.2f} s ({result['refresh']['rows']:,} rows) · peak RSS "
        f"{result['peak_rss_mb']:.0f} MB",
    ]
    for name, m in result["measures"].items():
        lines.append(
            f"  {name:<10} ({m['unit']}, {m['retailers_in_unit']:,} retailers)  page p50 {m['page']['p50'] * ms:7.2f} ms"
            f"  p95 {m['page']['p95'] * ms:7.2f} ms · {m['queries_per_page']} queries · selectors p95 "
            f"({m.get('queries_per_selector', '?')} queries) "
            f"{m['selectors']['p95'] * ms:6.2f} ms · raw aggregate p95 {m['baseline']['p95'] * ms:7.2f} ms · "
            f"ratio page {m['ratio']:.2f} / selectors {m['selector_ratio']:.2f} (target ≤ {result['target_ratio']:g})"
        )
    return lines
