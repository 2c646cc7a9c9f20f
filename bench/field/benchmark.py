"""`bench field`: the field-work and service code paths, each against a raw-SQL baseline measured in this run.

    daily_list          visits.daily.selectors.daily_list for a sample of customer managers (p50/p95) against a
                        raw keyset SQL page (50 rows by id) of the same manager's active retailers; and the number
                        of queries per list, which must not grow with the number of retailers (at most 4)
    allocation_preview  sales.allocation.selectors.allocation_preview of a published company-wide plan against
                        SELECT tier, market_type, count(*) … GROUP BY 1, 2 over the same scope
    credit_recompute    accounts.compliance.services.credit_grades_recompute of every retailer against
                        UPDATE accounts_retailer SET credit_grade = credit_grade (the same rows), both committed
    escalation          feedback.complaints.services.escalation.complaints_escalate over N overdue complaints made for the run, first
                        sweep and repeat sweep (which must escalate nothing), against an INSERT … SELECT of N
                        rows into a scratch temp table, committed; beside it, the rows the first sweep wrote
                        written again by plain SQL into the same tables (rolled back)
    coverage            visits.coverage.selectors.coverage of the last 28 days for the whole company against
                        SELECT manager_id, route_id, count(*) FROM visits_visitplan … GROUP BY over the period
    route_plan          visits.route.tour.plan of 40 stops from a start (nearest neighbour, then 2-opt and Or-opt) over
                        seeded county-sized layouts (p50/p95, target p95 ≤ 50 ms) against the nearest-neighbour
                        tour alone; the improved tour's length is reported against the greedy one's
    offline_sync        the offline queue's sync of 50 queued visits (one photo each) of a sampled manager through
                        fieldapp.views.visit_sync_view, then the same 50 again (a second phone round after a lost
                        answer: all must answer "already saved" and create nothing); the visits made are deleted

Setup, on top of the runner's demo data and idempotent: visit plans and visits for the period through the visits
demo (only when the period has none), violations (only when there are none), and one published company-wide
allocation plan a year ahead (made once, marked in its notes, reused by later runs). The overdue complaints are
bulk-inserted for the run and deleted afterwards with their escalations, events and notifications. The benchmark
writes visits, a plan and grades: run it on a benchmark database."""

import datetime

from django.db import transaction
from django.utils import timezone

from bench.field.escalation import BENCH_MARK, escalation_measure
from bench.field.office import (
    COVERAGE_DAYS,
    allocation_preview_measure,
    coverage_measure,
    credit_recompute_measure,
)
from bench.field.phone import (
    DAILY_SAMPLES_MAX,
    daily_list_measure,
    managers_sample,
    offline_sync_measure,
    route_plan_measure,
)
from bench.field.timing import REPETITIONS
from bench.runner import (
    SCALES,
    BenchError,
    MemoryWatch,
    analyze,
    ensure_retailers,
    environment,
    peak_rss_mb,
    timed,
)

# Overdue complaints made for the escalation sweep, per scale.
COMPLAINTS = {"tiny": 2_000, "small": 10_000, "province": 10_000}

PLAN_NOTES = f"{BENCH_MARK}：压测用全公司投放方案"
TABLES = (
    "accounts_retailer",
    "accounts_violation",
    "visits_visit",
    "visits_visitplan",
    "feedback_complaint",
    "feedback_complaintescalation",
    "sales_allocationplan",
    "sales_allocationrule",
)


def _ensure_field_data(today: datetime.date, *, stdout) -> dict:
    """Visits and plans of the period and violations, made only when missing (so a second run adds nothing)."""
    from accounts.compliance.models import Violation
    from accounts.demo import demo_violations_build
    from visits.demo import demo_visits_build
    from visits.models import Visit

    made = {"visits_demo": None, "violations": 0}
    if not Visit.objects.filter(visited_on__gt=today - datetime.timedelta(days=COVERAGE_DAYS)).exists():
        made["visits_demo"] = demo_visits_build(today=today, stdout=stdout)
    if not Violation.objects.exists():
        made["violations"] = demo_violations_build(today=today)
    return made


def _ensure_plan(today: datetime.date, admin):
    """The published company-wide plan of the dearest scarce product, a year ahead (made once, then reused)."""
    from sales.allocation.models import AllocationPlan
    from sales.allocation.selectors import allocation_preview
    from sales.allocation.services import allocation_plan_create, allocation_plan_publish
    from sales.models import Product
    from users.models import OrgUnit

    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if root is None:
        raise BenchError("the demo data has no org tree")
    plan = (
        AllocationPlan.objects.filter(org_unit=root, state=AllocationPlan.State.PUBLISHED, notes=PLAN_NOTES)
        .order_by("-cycle_start")
        .first()
    )
    if plan is not None:
        return plan
    product = Product.objects.filter(is_scarce=True, status="active").order_by("-wholesale_price_fen").first()
    if product is None:
        raise BenchError("the demo data has no scarce product to plan")
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=52)
    bands = [(26, 30, 3, 2), (21, 25, 2, 1), (16, 20, 1, 1), (1, 15, 0, 0)]
    rules = [
        {"tier_from": a, "tier_to": b, "market_type": m, "cartons": n}
        for a, b, town, rural in bands
        for m, n in (("C", town), ("X", rural))
    ]
    with transaction.atomic():
        plan = allocation_plan_create(
            actor=admin,
            product_id=product.pk,
            org_unit_id=root.pk,
            cycle_start=monday,
            supply_cartons=0,
            rules=rules,
            notes=PLAN_NOTES,
        )
        plan.supply_cartons = allocation_preview(plan=plan)["total"]
        plan.save(update_fields=["supply_cartons"])
        return allocation_plan_publish(actor=admin, plan=plan)


def run(*, scale: str, iterations: int = DAILY_SAMPLES_MAX, seed: int = 20261123, stdout=None) -> dict:
    """Run the field benchmark at `scale`; `iterations` caps the timed daily lists (at most 100)."""
    from users.models import User

    count = SCALES[scale]
    seed_seconds = ensure_retailers(count, stdout=stdout)
    today = timezone.localdate()
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("username").first()
    if admin is None:
        raise BenchError("the demo data has no admin login")
    setup_seconds, made = timed(lambda: _ensure_field_data(today, stdout=stdout))
    plan_seconds, plan = timed(lambda: _ensure_plan(today, admin))
    analyze(*TABLES)
    managers = managers_sample(seed)

    with MemoryWatch() as watch:
        measures = {
            "daily_list": daily_list_measure(managers, today, iterations),
            "allocation_preview": allocation_preview_measure(plan),
            "credit_recompute": credit_recompute_measure(today),
            "coverage": coverage_measure(admin, today),
            "escalation": escalation_measure(COMPLAINTS[scale]),
            "route_plan": route_plan_measure(seed),
            "offline_sync": offline_sync_measure(managers),
        }
    ratio = {
        "daily_list": measures["daily_list"]["ratio"]["p95"],
        **{name: measures[name]["ratio"] for name in ("allocation_preview", "credit_recompute", "coverage")},
        "escalation": measures["escalation"]["ratio"],
        "escalation_repeat": measures["escalation"]["ratio_repeat"],
        "route_plan": measures["route_plan"]["ratio"]["p95"],
    }
    return {
        "name": "field",
        "scale": scale,
        "retailers": count,
        "unit": "seconds (daily_list: p50/p95 of the samples; the others: median of the repetitions)",
        "repetitions": REPETITIONS,
        "measures": measures,
        "ratio": {name: round(value, 3) for name, value in ratio.items()},
        "setup": {
            "field_data_seconds": round(setup_seconds, 3),
            "plan_seconds": round(plan_seconds, 3),
            **made,
        },
        "peak_rss_mb": round(peak_rss_mb(), 1),  # of the whole run, seeding included
        "rss_growth_mb": watch.growth_mb,
        "seed_seconds": round(seed_seconds, 3),
        "environment": environment(),
    }


def summary_lines(result: dict) -> list[str]:
    ms = 1000
    m, ratio = result["measures"], result["ratio"]
    daily, esc = m["daily_list"], m["escalation"]
    lines = [
        f"bench field · scale {result['scale']} · {result['retailers']:,} retailers · peak RSS "
        f"{result['peak_rss_mb']:.0f} MB (+{result['rss_growth_mb']} MB while measuring)",
        f"  daily list        p50 {daily['measured']['p50'] * ms:8.2f} ms  p95 {daily['measured']['p95'] * ms:8.2f} ms"
        f"   raw page p95 {daily['baseline']['p95'] * ms:7.2f} ms   ratio {ratio['daily_list']:.2f} · "
        f"{daily['queries_per_list']['max']} queries/list",
    ]
    for name, label in (
        ("allocation_preview", "allocation preview"),
        ("credit_recompute", "credit recompute"),
        ("coverage", "coverage 28 days"),
    ):
        lines.append(
            f"  {label:<17} {m[name]['measured']['seconds'] * ms:9.2f} ms   baseline "
            f"{m[name]['baseline']['seconds'] * ms:8.2f} ms   ratio {ratio[name]:.2f}"
        )
    lines.append(
        f"  escalation        {esc['measured']['first_sweep']['seconds'] * ms:9.2f} ms ({esc['complaints']:,} "
        f"complaints, {esc['measured']['first_sweep']['escalated']:,} breaches)   baseline "
        f"{esc['baseline']['seconds'] * ms:8.2f} ms   ratio {ratio['escalation']:.2f} · repeat "
        f"{esc['measured']['repeat_sweep']['seconds'] * ms:.2f} ms, nothing escalated"
    )
    raw = esc["same_rows_raw"]
    lines.append(
        f"                    the same {raw['rows']:,} rows by plain INSERT … SELECT: {raw['seconds'] * ms:.2f} ms "
        f"({raw['ratio_to_baseline']:.1f}× the baseline; the sweep {raw['sweep_ratio_to_these']:.2f}× these)"
    )
    route = m["route_plan"]
    lines.append(
        f"  route {route['stops']} stops    p50 {route['measured']['p50'] * ms:8.2f} ms  p95 "
        f"{route['measured']['p95'] * ms:8.2f} ms   greedy p95 {route['baseline']['p95'] * ms:7.2f} ms   "
        f"{route['shorter_than_greedy_pct']}% shorter than greedy (target p95 ≤ 50 ms)"
    )
    sync = m["offline_sync"]
    lines.append(
        f"  offline sync      {sync['first_round']['seconds'] * ms:9.2f} ms for {sync['visits']} queued visits "
        f"({sync['first_round']['per_visit_ms']} ms each) · replay {sync['replay']['seconds'] * ms:.2f} ms, "
        "nothing created"
    )
    return lines
