"""The `api` benchmark (DESIGN.md, Performance targets): p95 of a filtered 50-row retailer list — as JSON from
/api/v1/retailers/ and as the /retailers/ page — divided by p95 of a raw keyset SQL page with the same filter.

One run: make sure the database holds the scale's retailers, ANALYZE, build a realistic mix of filters from
the data, walk every filter's first pages once to warm up and to check correctness (the three targets return
the same rows; no COUNT(*); a constant number of queries per request), then time the three targets in lockstep
(page k of the raw SQL, then of the API, then of the page) so that load on the machine hits them alike.
"""

import datetime
import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from accounts.api import RetailerViewSet
from accounts.selectors import retailer_scope
from bench.runner import (
    SCALES,
    BenchError,
    analyze,
    ensure_retailers,
    environment,
    peak_rss_mb,
    rss_mb,
    staff_client,
    summarize,
    timed,
)
from users.models import User
from users.selectors import routes_visible

PAGE_SIZE = 50
RATIO_MAX = 3.0
PAGES_PER_CASE = 4
DEFAULT_ITERATIONS = 200
TABLES = ("accounts_retailer", "users_route", "users_user", "users_orgunit")

# What both the API and the page show of a row: the retailer's own columns, its route's code and manager.
BASELINE_COLUMNS = """
    r.id, r.customer_code, r.licence_no, r.licence_issued_on, r.licence_expires_on, r.licence_status,
    r.shop_name, r.owner_name, r.owner_id_number, r.owner_birthday, r.mobile, r.email, r.address,
    r.latitude, r.longitude, r.market_type, r.business_format, r.scale, r.class_code, r.tier,
    r.credit_grade, r.shop_area_m2, r.is_night_shop, r.org_unit_id, r.route_id, r.delivery_route,
    r.order_weekday, r.order_channel, r.payment_method, r.bank_account, r.status,
    r.sms_consent, r.sms_consent_at, r.sms_consent_source,
    r.email_consent, r.email_consent_at, r.email_consent_source, r.created_at, r.updated_at,
    rt.code AS route_code, u.username AS manager, u.display_name AS manager_name"""
BASELINE_WHAT = (
    "raw keyset SQL page through a psycopg2 cursor: SELECT the listed columns FROM accounts_retailer "
    "LEFT JOIN users_route, users_user (+ users_orgunit for a supervisor's scope) WHERE <same filter> "
    f"AND id < cursor ORDER BY id DESC LIMIT {PAGE_SIZE + 1} (a page and whether another follows)"
)

COUNT_RE = re.compile(r"\bcount\s*\(", re.IGNORECASE)
# A row links to its portrait (once: one link per row); the next page link carries after=.
PAGE_ROW_RE = re.compile(r'href="/retailers/(\d+)/"')
PAGE_NEXT_RE = re.compile(r'href="[^"]*?[?&;]after=(\d+)"')
CHINESE_RE = re.compile(r"^[\u4e00-\u9fff]+$")
SUFFIX_RE = re.compile(r"（.*?）")


@dataclass
class Case:
    label: str
    role: str  # "supervisor" or "admin"
    params: list[tuple[str, str]]

    @property
    def query(self) -> str:
        return urlencode(self.params)


@dataclass
class Samples:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    by_role: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def add(self, target: str, role: str, seconds: float) -> None:
        self.seconds[target].append(seconds)
        self.by_role[f"{target}:{role}"].append(seconds)


# --- the workload ---------------------------------------------------------------------------------------


def _fragments(user: User, rng: random.Random) -> list[str]:
    """Shop-name fragments a customer manager would type: 2–3 Chinese characters out of real names."""
    names = list(retailer_scope(user=user).order_by("id").values_list("shop_name", flat=True)[:2000])
    if not names:
        raise BenchError("the supervisor sees no retailers: is the demo data there?")
    fragments: list[str] = []
    for length in (2, 3, 3):
        for _attempt in range(50):
            name = SUFFIX_RE.sub("", rng.choice(names))
            if len(name) < length:
                continue
            start = rng.randrange(0, len(name) - length + 1)
            fragment = name[start : start + length]
            if CHINESE_RE.match(fragment) and fragment not in fragments:
                fragments.append(fragment)
                break
    if len(fragments) < 3:
        raise BenchError(f"could not take three Chinese fragments out of the shop names: {fragments}")
    return fragments


def build_cases(*, supervisor: User, seed: int) -> list[Case]:
    rng = random.Random(seed)
    two, three, three_b = _fragments(supervisor, rng)
    route = routes_visible(user=supervisor).order_by("code").first()
    filters = [
        ("q2", [("q", two)]),
        ("q3", [("q", three)]),
        ("credit_AA", [("credit_grade", "AA")]),
        ("tier_15_20", [("tier_min", "15"), ("tier_max", "20")]),
        ("expiring_90", [("expiring_within", "90")]),
        ("format_Y_S", [("business_format", "Y"), ("business_format", "S")]),
        ("route", [("route", str(route.pk))]),
        ("format_Z_tier12", [("business_format", "Z"), ("tier_min", "12")]),
        ("q3_credit_A", [("q", three_b), ("credit_grade", "A")]),
    ]
    return [Case(label, role, params) for role in ("supervisor", "admin") for label, params in filters]


# --- the three targets ------------------------------------------------------------------------------------


def baseline_sql(case: Case, *, scope_path: str | None, after: int | None) -> tuple[str, list]:
    """The hand-written SQL for one page of `case`: the same filter as RetailerFilter, the same scope."""
    joins = [
        "LEFT JOIN users_route rt ON rt.id = r.route_id",
        "LEFT JOIN users_user u ON u.id = rt.manager_id",
    ]
    where: list[str] = []
    args: list = []
    if scope_path is not None:
        joins.append("JOIN users_orgunit ou ON ou.id = r.org_unit_id")
        where.append("ou.path LIKE %s")
        args.append(scope_path + "%")
    values: dict[str, list[str]] = defaultdict(list)
    for key, value in case.params:
        values[key].append(value)
    for key, given in values.items():
        if key == "q":
            where.append("r.search_text LIKE %s")
            args.append("%" + given[0].strip() + "%")
        elif key in ("credit_grade", "business_format"):
            where.append(f"r.{key} IN %s")
            args.append(tuple(given))
        elif key == "tier_min":
            where.append("r.tier >= %s")
            args.append(int(given[0]))
        elif key == "tier_max":
            where.append("r.tier <= %s")
            args.append(int(given[0]))
        elif key == "expiring_within":
            where.append("r.licence_expires_on <= %s")
            args.append(timezone.localdate() + datetime.timedelta(days=int(given[0])))
        elif key == "route":
            where.append("r.route_id = %s")
            args.append(int(given[0]))
        else:
            raise BenchError(f"no baseline SQL for filter {key!r}")
    if after is not None:
        where.append("r.id < %s")
        args.append(after)
    sql = (
        f"SELECT {BASELINE_COLUMNS} FROM accounts_retailer r {' '.join(joins)} "
        f"WHERE {' AND '.join(where) or 'TRUE'} ORDER BY r.id DESC LIMIT %s"
    )
    return sql, [*args, PAGE_SIZE + 1]


class Targets:
    """One page of each target; each returns (rows' ids, what to ask for next or None)."""

    def __init__(self, *, users: dict[str, User]):
        self.users = users
        self.clients: dict[str, Client] = {}
        for role, user in users.items():
            self.clients[role] = staff_client(user)
        self.scope_paths = {
            role: None if user.is_company_admin else user.org_unit.path for role, user in users.items()
        }
        self.throttle_keys = {role: _throttle_keys(user) for role, user in users.items()}

    # baseline
    def baseline(self, case: Case, after: int | None) -> tuple[float, list[int], int | None]:
        sql, args = baseline_sql(case, scope_path=self.scope_paths[case.role], after=after)
        connection.ensure_connection()
        raw = connection.connection  # the psycopg2 connection itself: no ORM, no Django cursor wrapper

        def run():
            with raw.cursor() as cursor:
                cursor.execute(sql, args)
                return cursor.fetchall()

        seconds, rows = timed(run)
        ids = [row[0] for row in rows[:PAGE_SIZE]]
        return seconds, ids, ids[-1] if len(rows) > PAGE_SIZE else None

    # the API
    def api_first(self, case: Case) -> str:
        return f"/api/v1/retailers/?{case.query}&page_size={PAGE_SIZE}"

    def api(self, case: Case, url: str) -> tuple[float, list[int], str | None]:
        if self.throttle_keys[case.role]:
            cache.delete_many(self.throttle_keys[case.role])  # the check still runs; only the limit is lifted
        client = self.clients[case.role]
        seconds, response = timed(lambda: client.get(url))
        if response.status_code != 200:
            raise BenchError(f"GET {url} as {case.role}: HTTP {response.status_code}")
        data = json.loads(response.content)
        return seconds, [row["id"] for row in data["results"]], data["next"]

    # the page
    def page_first(self, case: Case) -> str:
        return f"/retailers/?{case.query}"

    def page(self, case: Case, url: str) -> tuple[float, list[int], str | None]:
        client = self.clients[case.role]
        seconds, response = timed(lambda: client.get(url))
        if response.status_code != 200:
            raise BenchError(f"GET {url} as {case.role}: HTTP {response.status_code}")
        html = response.content.decode()
        ids = [int(i) for i in dict.fromkeys(PAGE_ROW_RE.findall(html))]
        following = PAGE_NEXT_RE.search(html)
        return seconds, ids, f"/retailers/?{case.query}&after={following[1]}" if following else None


def _throttle_keys(user: User) -> list[str]:
    """The cache keys of the API's per-user throttles. The benchmark asks far more often than a person may;
    clearing the key (untimed) before each request keeps the throttle's own cost in the figure without 429s."""
    return [
        throttle.cache_format % {"scope": throttle.scope, "ident": user.pk}
        for throttle in RetailerViewSet.throttle_classes
        if issubclass(throttle, SimpleRateThrottle) and getattr(throttle, "scope", None)
    ]


# --- one walk over a case's pages -------------------------------------------------------------------------


def walk(targets: Targets, case: Case, *, pages: int, samples: Samples | None, queries: dict | None) -> int:
    """Page through `case` with the three targets in lockstep, checking they agree. With `samples`, record
    timings; with `queries`, capture each request's SQL instead (and so time nothing). Returns pages walked."""
    after: int | None = None
    api_url: str | None = targets.api_first(case)
    page_url: str | None = targets.page_first(case)
    walked = 0
    for number in range(1, pages + 1):
        base_s, base_ids, after_next = targets.baseline(case, after)
        results = {}
        for target, call, url in (("api", targets.api, api_url), ("page", targets.page, page_url)):
            if url is None:
                raise BenchError(f"{target} stopped before page {number} of {case.label} ({case.role})")
            if queries is not None:
                with CaptureQueriesContext(connection) as captured:
                    results[target] = call(case, url)
                _record_queries(queries, target, case, [q["sql"] for q in captured.captured_queries])
            else:
                results[target] = call(case, url)
        for target, (_s, ids, _next) in results.items():
            if ids != base_ids:
                raise BenchError(
                    f"{target} page {number} of {case.label} ({case.role}) shows other rows than the raw SQL: "
                    f"{ids[:5]}… vs {base_ids[:5]}…"
                )
        if samples is not None:
            samples.add("baseline", case.role, base_s)
            samples.add("api", case.role, results["api"][0])
            samples.add("page", case.role, results["page"][0])
        walked += 1
        api_url, page_url, after = results["api"][2], results["page"][2], after_next
        if after is None:
            if api_url is not None or page_url is not None:
                raise BenchError(f"{case.label} ({case.role}): the raw SQL ended but the app offers more")
            break
    return walked


def _record_queries(queries: dict, target: str, case: Case, sql: list[str]) -> None:
    for statement in sql:
        if COUNT_RE.search(statement):
            queries.setdefault("count_star", []).append(
                f"{target} {case.label} ({case.role}): {statement[:300]}"
            )
    queries.setdefault(target, {}).setdefault(case.role, {}).setdefault(case.label, []).append(len(sql))


def _check_queries(queries: dict) -> list[str]:
    """Every COUNT(*) is an error, and so is a number of queries that changes from page to page of one filter
    (a query per row would make it follow the number of rows shown)."""
    counts = queries.get("count_star", [])
    errors = [f"{len(counts)} COUNT(*) issued, e.g. {line}" for line in counts[:2]]
    for target in ("api", "page"):
        for role, cases in queries.get(target, {}).items():
            for label, counts in cases.items():
                if len(set(counts)) > 1:
                    errors.append(f"{target} {label} ({role}): queries per page vary {counts} (N+1?)")
    return errors


def _query_summary(queries: dict) -> dict:
    summary: dict = {"count_star": len(queries.get("count_star", []))}
    for target in ("api", "page"):
        per_case = {
            f"{label}:{role}": counts[0]
            for role, cases in queries.get(target, {}).items()
            for label, counts in cases.items()
        }
        values = list(per_case.values())
        summary[target] = {
            "min": min(values),
            "max": max(values),
            "constant_per_filter": True,
            "by_case": per_case,
        }
    return summary


# --- the benchmark ----------------------------------------------------------------------------------------


def run(*, scale: str, iterations: int = DEFAULT_ITERATIONS, seed: int = 20261123, stdout=None) -> dict:
    """Run the api benchmark at `scale`; return the result document (see bench_command for the JSON)."""
    count = SCALES[scale]
    seed_seconds = ensure_retailers(count, stdout=stdout)
    analyze(*TABLES)
    supervisor = (
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, org_unit__isnull=False)
        .select_related("org_unit")
        .order_by("username")
        .first()
    )
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("username").first()
    if supervisor is None or admin is None:
        raise BenchError("the demo data has no supervisor or no admin login")
    cases = build_cases(supervisor=supervisor, seed=seed)
    targets = Targets(users={"supervisor": supervisor, "admin": admin})

    # Warm-up and correctness: one walk of every case, capturing each request's SQL (not timed).
    queries: dict = {}
    pages_per_round = sum(
        walk(targets, case, pages=PAGES_PER_CASE, samples=None, queries=queries) for case in cases
    )
    errors = _check_queries(queries)
    if errors:
        raise BenchError("; ".join(errors))

    samples = Samples()
    rounds = 0
    while len(samples.seconds["baseline"]) < iterations:
        for case in cases:
            walk(targets, case, pages=PAGES_PER_CASE, samples=samples, queries=None)
        rounds += 1

    baseline = summarize(samples.seconds["baseline"])
    measured = {target: summarize(samples.seconds[target]) for target in ("api", "page")}
    for target in ("api", "page"):
        measured[target]["by_role"] = {
            role: summarize(samples.by_role[f"{target}:{role}"]) for role in ("supervisor", "admin")
        }
    ratio = {target: measured[target]["p95"] / baseline["p95"] for target in ("api", "page")}
    return {
        "name": "api",
        "scale": scale,
        "retailers": count,
        "unit": "seconds",
        "baseline": {
            "what": BASELINE_WHAT,
            "seconds": baseline["p95"],
            **baseline,
            "by_role": {
                role: summarize(samples.by_role[f"baseline:{role}"]) for role in ("supervisor", "admin")
            },
        },
        "measured": measured,
        "ratio": ratio,
        "target": {
            "ratio_max": RATIO_MAX,
            "met": {target: value <= RATIO_MAX for target, value in ratio.items()},
            "no_unfiltered_count": True,
        },
        "queries_per_request": _query_summary(queries),
        "workload": {
            "page_size": PAGE_SIZE,
            "pages_per_filter": PAGES_PER_CASE,
            "pages_per_round": pages_per_round,
            "rounds": rounds,
            "users": {
                "supervisor": f"{supervisor.username} ({supervisor.org_unit})",
                "admin": admin.username,
            },
            "filters": [{"label": c.label, "as": c.role, "query": c.query} for c in cases],
        },
        "peak_rss_mb": peak_rss_mb(),  # of the whole run, seeding included
        "rss_mb_at_end": rss_mb(),
        "seed_seconds": seed_seconds,
        "environment": environment(),
    }


def summary_lines(result: dict) -> list[str]:
    ms = 1000
    base, api, page = result["baseline"], result["measured"]["api"], result["measured"]["page"]
    qpr = result["queries_per_request"]
    lines = [
        f"bench api · scale {result['scale']} · {result['retailers']:,} retailers"
        f" · seeded in {result['seed_seconds']:.1f}s · peak RSS {result['peak_rss_mb']:.0f} MB"
        f" (now {result['rss_mb_at_end']:.0f} MB)",
        f"  raw keyset SQL  p50 {base['p50'] * ms:7.2f} ms   p95 {base['p95'] * ms:7.2f} ms   (n={base['n']})",
    ]
    for name, figures in (("API /api/v1/", api), ("page /retailers/", page)):
        ratio = result["ratio"]["api" if name.startswith("API") else "page"]
        verdict = "ok" if ratio <= result["target"]["ratio_max"] else "MISSED"
        lines.append(
            f"  {name:<16} p50 {figures['p50'] * ms:7.2f} ms   p95 {figures['p95'] * ms:7.2f} ms"
            f"   ratio {ratio:5.2f} (≤ {result['target']['ratio_max']:.0f}: {verdict})"
        )
    lines.append(
        f"  queries/request: api {qpr['api']['min']}–{qpr['api']['max']}, page {qpr['page']['min']}–"
        f"{qpr['page']['max']}, constant per filter; COUNT(*): {qpr['count_star']}"
    )
    return lines
