"""The three things timed for each case, in lockstep: the raw keyset SQL page (the baseline), the API's JSON page
and the /retailers/ page; one walk over a case's pages, and the checks on the SQL each request ran (no COUNT(*),
a constant number of queries)."""

import datetime
import json
import re
from collections import defaultdict

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from accounts.api import RetailerViewSet
from bench.api.workload import PAGE_SIZE, Case, Samples
from bench.runner import (
    BenchError,
    staff_client,
    timed,
)
from users.models import User

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
        self.throttle_keys = {role: throttle_keys(user) for role, user in users.items()}

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


def throttle_keys(user: User) -> list[str]:
    """The cache keys of the API's per-user throttles. The benchmark asks far more often than a person may;
    clearing the key (untimed) before each request keeps the throttle's own cost in the figure without 429s."""
    return [
        throttle.cache_format % {"scope": throttle.scope, "ident": user.pk}
        for throttle in RetailerViewSet.throttle_classes
        if issubclass(throttle, SimpleRateThrottle) and getattr(throttle, "scope", None)
    ]


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
                queries_record(queries, target, case, [q["sql"] for q in captured.captured_queries])
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


def queries_record(queries: dict, target: str, case: Case, sql: list[str]) -> None:
    for statement in sql:
        if COUNT_RE.search(statement):
            queries.setdefault("count_star", []).append(
                f"{target} {case.label} ({case.role}): {statement[:300]}"
            )
    queries.setdefault(target, {}).setdefault(case.role, {}).setdefault(case.label, []).append(len(sql))


def queries_check(queries: dict) -> list[str]:
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


def queries_summary(queries: dict) -> dict:
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
