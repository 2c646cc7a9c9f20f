"""`bench scaling`: what each page a user opens costs at this database's scale, so that two runs, at 10,000 and at
100,000 retailers, show whether a page costs what its user's data costs or what the province holds.

    reads     GET of each page, as its user, through Django's test client with a logged-in session (p50/p95 and
              the queries of one request): the customer manager with the most shops opens the retailer list,
              the API's retailer list, the portrait of one of their shops, the daily list and their home (the
              workspace); a county bureau's supervisor opens their home (the cockpit)
    baseline  in the same run, a raw 50-row keyset page of retailers (the list's columns, by primary key), so that
              two runs on a machine that was busier for one of them can still be compared
    compare   `--against FILE`, the JSON of a run at another scale: for each read the ratio of the two p95s (the
              larger scale's over the smaller's), raw and with each p95 first divided by its own run's baseline.
              Target: ≤ 1.5 for every read (each is scoped to one manager, or to a unit's kept aggregates).

The database is measured as it is (seed it first: `seed_demo --retailers N --weeks 52`, then `visits_seed_demo`);
the bench refuses one whose number of retailers is more than 10 % off the scale asked for."""

import datetime
import json
from pathlib import Path

from django.db import connection

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
)

TARGET_RATIO = 1.5
BASELINE_SQL = """
SELECT id, customer_code, shop_name, owner_name, mobile, licence_no, licence_status, licence_expires_on, tier,
       status, org_unit_id, route_id
FROM accounts_retailer WHERE id < %s ORDER BY id DESC LIMIT 50
"""


def _reads() -> list[tuple[str, object, str]]:
    """(name, user, url) of each page measured."""
    from accounts.selectors import retailer_scope
    from users.models import OrgUnit, User

    manager = busiest_manager()
    shop = retailer_scope(user=manager).order_by("id").first()
    supervisor = (
        User.objects.filter(role=User.Role.SUPERVISOR, is_active=True, org_unit__kind=OrgUnit.Kind.COUNTY)
        .order_by("pk")
        .first()
    )
    if shop is None or supervisor is None:
        raise BenchError("the demo data has no manager with shops or no county supervisor")
    return [
        ("list", manager, "/retailers/"),
        ("api", manager, "/api/v1/retailers/"),
        ("portrait", manager, shop.get_absolute_url()),
        ("daily", manager, "/visits/"),
        ("workspace", manager, "/"),
        ("cockpit", supervisor, "/"),
    ]


def _baseline_read():
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM accounts_retailer")
        (top,) = cursor.fetchone()

    def read():
        with connection.cursor() as cursor:
            cursor.execute(BASELINE_SQL, [top // 2])
            cursor.fetchall()

    return read


def compare(this: dict, other: dict) -> dict:
    """Each read's p95 at the larger scale over its p95 at the smaller, raw and normalised by each run's baseline."""
    large, small = (this, other) if this["retailers"] >= other["retailers"] else (other, this)
    rows = {}
    for name, measure in large["reads"].items():
        before = small["reads"].get(name)
        if before is None:
            continue
        raw = measure["page"]["p95"] / before["page"]["p95"]
        normalised = (measure["page"]["p95"] / large["baseline"]["p95"]) / (
            before["page"]["p95"] / small["baseline"]["p95"]
        )
        rows[name] = {
            "small_p95": before["page"]["p95"],
            "large_p95": measure["page"]["p95"],
            "ratio": round(raw, 3),
            "normalised_ratio": round(normalised, 3),
            "met": raw <= TARGET_RATIO,
        }
    return {"small": small["retailers"], "large": large["retailers"], "reads": rows}


def run(*, scale: str, iterations: int, seed: int, stdout, against: str | None = None) -> dict:
    from accounts.models import Retailer

    expected = SCALES[scale]
    count = Retailer.objects.count()
    if abs(count - expected) > expected * 0.1:
        raise BenchError(
            f"the database holds {count:,} retailers, not about {expected:,}: measure it with the scale it has, "
            f"or seed a database of its own (seed_demo --retailers {expected} --weeks 52, then visits_seed_demo)"
        )
    other = json.loads(Path(against).read_text()) if against else None
    if other is not None and other.get("name") != "scaling":
        raise BenchError(f"{against} is not the JSON of a `bench scaling` run")
    analyze()
    reads = {}
    for name, user, url in _reads():
        client = staff_client(user)
        seconds, queries = page_samples(client, url, iterations)
        reads[name] = {"url": url, "user": user.username, "page": summarize(seconds), "queries": queries}
    baseline = summarize(samples(_baseline_read(), iterations))
    result = {
        "name": "scaling",
        "scale": scale,
        "retailers": count,
        "reads": reads,
        "baseline": baseline,
        "target_ratio": TARGET_RATIO,
        "peak_rss_mb": peak_rss_mb(),
        "environment": environment(),
        "at": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
    }
    if other is not None:
        result["compare"] = compare(result, other)
        missed = [name for name, row in result["compare"]["reads"].items() if not row["met"]]
        if missed:
            for line in summary_lines(result):  # the figures behind the failure, as a passing run prints them
                stdout.write(line)
            raise BenchError(
                f"p95 grew more than {TARGET_RATIO:g}× from {result['compare']['small']:,} to "
                f"{result['compare']['large']:,} retailers for: {', '.join(missed)}",
                result=result,
            )
    return result


def summary_lines(result: dict) -> list[str]:
    ms = 1000
    lines = [
        f"bench scaling · scale {result['scale']} · {result['retailers']:,} retailers · raw 50-row page p95 "
        f"{result['baseline']['p95'] * ms:.2f} ms"
    ]
    for name, m in result["reads"].items():
        lines.append(
            f"  {name:<10} {m['url']:<28} p50 {m['page']['p50'] * ms:7.2f} ms  p95 {m['page']['p95'] * ms:7.2f} ms"
            f" · {m['queries']} queries · {m['page']['p95'] / result['baseline']['p95']:.1f}× the raw page"
        )
    if "compare" in result:
        c = result["compare"]
        lines.append(
            f"  {c['small']:,} → {c['large']:,} retailers (target p95 ratio ≤ {result['target_ratio']:g}):"
        )
        for name, row in c["reads"].items():
            lines.append(
                f"    {name:<10} p95 {row['small_p95'] * ms:7.2f} → {row['large_p95'] * ms:7.2f} ms · ratio "
                f"{row['ratio']:.2f} (against each run's raw page {row['normalised_ratio']:.2f})"
                f" {'met' if row['met'] else 'MISSED'}"
            )
    return lines
