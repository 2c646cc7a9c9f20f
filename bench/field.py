"""`bench field`: the field-work and service code paths, each against a raw-SQL baseline measured in this run.

    daily_list          visits.daily.selectors.daily_list for a sample of customer managers (p50/p95) against a
                        raw keyset SQL page (50 rows by id) of the same manager's active retailers; and the number
                        of queries per list, which must not grow with the number of retailers (at most 4)
    allocation_preview  sales.allocation.selectors.allocation_preview of a published company-wide plan against
                        SELECT tier, market_type, count(*) … GROUP BY 1, 2 over the same scope
    credit_recompute    accounts.compliance.services.credit_grades_recompute of every retailer against
                        UPDATE accounts_retailer SET credit_grade = credit_grade (the same rows), both committed
    escalation          feedback.services.complaints_escalate over N overdue complaints made for the run, first
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
import math
import random
import statistics

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench.runner import (
    SCALES,
    BenchError,
    MemoryWatch,
    analyze,
    ensure_retailers,
    environment,
    peak_rss_mb,
    summarize,
    timed,
)

PAGE_SIZE = 50
MANAGERS_SAMPLED = 20
QUERIES_MAX = 4
REPETITIONS = 3  # of each whole-company measure (medians)
DAILY_SAMPLES_MAX = 100
COVERAGE_DAYS = 28
# Overdue complaints made for the escalation sweep, per scale.
COMPLAINTS = {"tiny": 2_000, "small": 10_000, "province": 10_000}
BENCH_MARK = "bench-field"  # visit_ref of the complaints made for the run; notes prefix of the plan
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

DAILY_BASELINE_SQL = """
SELECT r.* FROM accounts_retailer r JOIN users_route rt ON rt.id = r.route_id
WHERE rt.manager_id = %s AND r.status = 'active' AND r.id > %s ORDER BY r.id LIMIT %s
"""
GROUP_BASELINE_SQL = """
SELECT tier, market_type, count(*) FROM accounts_retailer
WHERE org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %s) GROUP BY 1, 2
"""
UPDATE_BASELINE_SQL = "UPDATE accounts_retailer SET credit_grade = credit_grade"
COVERAGE_BASELINE_SQL = """
SELECT manager_id, route_id, count(*) FROM visits_visitplan WHERE planned_on BETWEEN %s AND %s GROUP BY 1, 2
"""
# N overdue complaints, cycling over the active retailers on staffed routes; assigned to the route's manager,
# both deadlines days past (so each complaint holds a response and a resolution breach).
COMPLAINTS_SQL = """
WITH shops AS (
    SELECT r.id, r.org_unit_id, rt.manager_id, row_number() OVER (ORDER BY r.id) - 1 AS n,
           count(*) OVER () AS total
    FROM accounts_retailer r JOIN users_route rt ON rt.id = r.route_id
    WHERE r.status = 'active' AND rt.manager_id IS NOT NULL
)
INSERT INTO feedback_complaint (
    retailer_id, category_id, kind, channel, priority, status, description, customer_manager_id, assignee_id,
    queue_unit_id, visit_ref, opened_at, response_due, resolution_due, deadline_note, deadlines_provisional,
    resolution, reopen_count, version, follow_up, rating_comment, needs_supervisor_call)
SELECT s.id, %(category)s, 'complaint', 'phone', 'normal', 'assigned', '压测：超时未处理的投诉', s.manager_id,
       s.manager_id, s.org_unit_id, %(mark)s, now() - interval '10 days', now() - interval '9 days',
       now() - interval '8 days', '', false, '', 0, 1, '', '', false
FROM generate_series(0, %(count)s - 1) g
JOIN shops s ON s.n = g %% s.total
"""
ESCALATION_BASELINE_SQL = """
INSERT INTO bench_field_scratch (complaint_id, breach, cycle, due_at, escalated_to_id, created_at)
SELECT c.id, 'resolution', c.reopen_count, c.resolution_due, c.assignee_id, now()
FROM feedback_complaint c WHERE c.visit_ref = %s
"""
# Not the target's baseline, a figure beside it: the rows the first sweep wrote (claims, timeline events,
# notifications), written again by plain INSERT … SELECT into the same tables with their indexes and keys (checked
# as a commit would), then rolled back: what writing those rows costs, however the sweep finds them.
ESCALATION_WRITES_SQL = (
    """
INSERT INTO feedback_complaintescalation (complaint_id, breach, cycle, due_at, escalated_to_id, created_at)
SELECT e.complaint_id, e.breach, e.cycle + 1, e.due_at, e.escalated_to_id, e.created_at
FROM feedback_complaintescalation e JOIN feedback_complaint c ON c.id = e.complaint_id WHERE c.visit_ref = %s
""",
    """
INSERT INTO feedback_complaintevent (complaint_id, kind, actor_id, at, from_status, to_status, text, message,
    is_internal)
SELECT e.complaint_id, e.kind, e.actor_id, e.at, e.from_status, e.to_status, e.text, e.message, e.is_internal
FROM feedback_complaintevent e JOIN feedback_complaint c ON c.id = e.complaint_id
WHERE c.visit_ref = %s AND e.kind = 'escalated'
""",
    """
INSERT INTO feedback_notification (recipient_id, kind, complaint_id, text, message, created_at, read_at, emailed_at)
SELECT n.recipient_id, n.kind, n.complaint_id, n.text, n.message, n.created_at, n.read_at, n.emailed_at
FROM feedback_notification n JOIN feedback_complaint c ON c.id = n.complaint_id
WHERE c.visit_ref = %s AND n.kind = 'escalated'
""",
)


def _median_timed(call, repetitions: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _n in range(repetitions):
        seconds, result = timed(call)
        samples.append(seconds)
    return samples, result


def _figures(samples: list[float]) -> dict:
    return {"seconds": round(statistics.median(samples), 5), "samples": [round(s, 5) for s in samples]}


def _raw_fetch(sql: str, params) -> list[tuple]:
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:  # psycopg itself: no ORM, no Django cursor wrapper
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- setup ------------------------------------------------------------------------------------------------------


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


def _complaints_delete() -> int:
    """Remove the complaints made for a run (this one's, or an interrupted earlier one's) and what hangs off them."""
    with transaction.atomic(), connection.cursor() as cursor:
        mine = "SELECT id FROM feedback_complaint WHERE visit_ref = %s"
        for table in (
            "feedback_notification",
            "feedback_complaintevent",
            "feedback_complaintescalation",
            "feedback_complaintphoto",
        ):
            cursor.execute(f"DELETE FROM {table} WHERE complaint_id IN ({mine})", [BENCH_MARK])
        cursor.execute("DELETE FROM feedback_complaint WHERE visit_ref = %s", [BENCH_MARK])
        return cursor.rowcount


def _complaints_make(count: int) -> int:
    from feedback.models import ComplaintCategory

    category = ComplaintCategory.objects.filter(code="supply").first() or (
        ComplaintCategory.objects.filter(routing=ComplaintCategory.Routing.MANAGER).order_by("pk").first()
    )
    if category is None:
        raise BenchError("no complaint category routed to the customer manager")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPLAINTS_SQL, {"category": category.pk, "mark": BENCH_MARK, "count": count})
        return cursor.rowcount


# --- the measures -----------------------------------------------------------------------------------------------


def _managers(seed: int) -> list:
    from users.models import User

    managers = list(
        User.objects.filter(role=User.Role.MANAGER, is_active=True, routes__isnull=False)
        .distinct()
        .order_by("username")
    )
    if not managers:
        raise BenchError("the demo data has no customer manager with a route")
    return sorted(
        random.Random(seed).sample(managers, k=min(MANAGERS_SAMPLED, len(managers))), key=lambda u: u.pk
    )


def _daily(managers: list, today: datetime.date, iterations: int) -> dict:
    from accounts.selectors import retailer_scope
    from visits.daily.selectors import daily_list

    # warm-up and query counts (untimed): the list's queries must not follow the number of retailers
    per_manager = []
    for manager in managers:
        shops = retailer_scope(user=manager).count()
        with CaptureQueriesContext(connection) as captured:
            entries = daily_list(manager=manager, today=today)
        per_manager.append(
            {
                "manager": manager.username,
                "retailers": shops,
                "listed": len(entries),
                "queries": len(captured.captured_queries),
            }
        )
        _raw_fetch(DAILY_BASELINE_SQL, [manager.pk, 0, PAGE_SIZE])
    counts = [m["queries"] for m in per_manager if m["listed"]]
    if not counts:
        raise BenchError("no sampled manager has anything on the daily list")
    # the demo routes are of much the same size, so also list one manager's 1 row and 60 rows: a query per
    # row (N+1) would show as a difference
    busiest = max(
        managers, key=lambda u: next(m["listed"] for m in per_manager if m["manager"] == u.username)
    )
    for limit in (1, 60):
        with CaptureQueriesContext(connection) as captured:
            daily_list(manager=busiest, today=today, limit=limit)
        counts.append(len(captured.captured_queries))
    if max(counts) > QUERIES_MAX or len(set(counts)) > 1:
        by_size = sorted((m["retailers"], m["queries"]) for m in per_manager if m["listed"])
        raise BenchError(
            f"daily_list issues {min(counts)}–{max(counts)} queries (at most {QUERIES_MAX}, the same whatever the "
            f"route size): (retailers, queries) {by_size[:3]}…{by_size[-3:]}"
        )

    rounds = max(1, math.ceil(min(iterations, DAILY_SAMPLES_MAX) / len(managers)))
    base, measured = [], []
    for _round in range(rounds):
        for manager in managers:  # in lockstep, so load on the machine hits both alike
            seconds, _rows = timed(lambda m=manager: _raw_fetch(DAILY_BASELINE_SQL, [m.pk, 0, PAGE_SIZE]))
            base.append(seconds)
            seconds, _entries = timed(lambda m=manager: daily_list(manager=m, today=today))
            measured.append(seconds)
    baseline, app = summarize(base), summarize(measured)
    return {
        "baseline": {
            "what": f"raw keyset SQL page ({PAGE_SIZE} rows by id) of the manager's active retailers, psycopg cursor",
            **baseline,
        },
        "measured": {
            "what": "visits.daily.selectors.daily_list (ranked, 60 rows, reasons, recommendations)",
            **app,
        },
        "ratio": {"p50": app["p50"] / baseline["p50"], "p95": app["p95"] / baseline["p95"]},
        "queries_per_list": {"min": min(counts), "max": max(counts), "limit": QUERIES_MAX, "constant": True},
        "managers": len(managers),
        "rounds": rounds,
        "retailers_per_manager": {
            "min": min(m["retailers"] for m in per_manager),
            "max": max(m["retailers"] for m in per_manager),
        },
    }


def _allocation(plan) -> dict:
    from sales.allocation.selectors import allocation_preview

    path = plan.org_unit.path + "%"
    allocation_preview(plan=plan)  # warm-up
    base, groups = _median_timed(lambda: _raw_fetch(GROUP_BASELINE_SQL, [path]), REPETITIONS)
    measured, preview = _median_timed(lambda: allocation_preview(plan=plan), REPETITIONS)
    in_scope = sum(n for _tier, _market, n in groups)
    counted = preview["retailers"] + sum(b["retailers"] for b in preview["blocked"])
    if counted > in_scope:
        raise BenchError(f"the preview counts {counted:,} retailers, the plan's unit holds {in_scope:,}")
    b, m = _figures(base), _figures(measured)
    return {
        "baseline": {
            "what": "SELECT tier, market_type, count(*) FROM accounts_retailer GROUP BY 1, 2 (unit scope)",
            "groups": len(groups),
            **b,
        },
        "measured": {
            "what": f"allocation_preview of plan #{plan.pk} ({plan.org_unit}, {plan.cycle_start})",
            "retailers": preview["retailers"],
            "total_cartons": preview["total"],
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
        "retailers_in_scope": in_scope,
    }


def _credit(today: datetime.date) -> dict:
    from accounts.compliance.services import credit_grades_recompute

    def update():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(UPDATE_BASELINE_SQL)
            return cursor.rowcount

    first_changes = len(credit_grades_recompute(today=today))  # brings the grades up to date (untimed)
    base, rows = _median_timed(update, REPETITIONS)
    measured, changed = _median_timed(lambda: credit_grades_recompute(today=today), REPETITIONS)
    if changed:
        raise BenchError(f"a repeated credit recompute still changed {len(changed)} grades")
    b, m = _figures(base), _figures(measured)
    return {
        "baseline": {"what": UPDATE_BASELINE_SQL + " (every row, committed)", "rows": rows, **b},
        "measured": {
            "what": "credit_grades_recompute of every retailer (one UPDATE … FROM graded, committed)",
            "changed_before_timing": first_changes,
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
    }


def _coverage(admin, today: datetime.date) -> dict:
    from visits.coverage.selectors import coverage

    day_from = today - datetime.timedelta(days=COVERAGE_DAYS - 1)
    coverage(user=admin, day_from=day_from, day_to=today)  # warm-up
    base, groups = _median_timed(lambda: _raw_fetch(COVERAGE_BASELINE_SQL, [day_from, today]), REPETITIONS)
    measured, rows = _median_timed(lambda: coverage(user=admin, day_from=day_from, day_to=today), REPETITIONS)
    plans = sum(n for *_key, n in groups)
    if not plans:
        raise BenchError("the period holds no visit plans")
    if sum(r.planned for r in rows) != plans:
        raise BenchError(
            f"coverage counts {sum(r.planned for r in rows):,} plans, the period holds {plans:,}"
        )
    b, m = _figures(base), _figures(measured)
    return {
        "baseline": {
            "what": "SELECT manager_id, route_id, count(*) FROM visits_visitplan (period) GROUP BY 1, 2",
            **b,
        },
        "measured": {
            "what": f"coverage of {day_from}…{today} for the whole company",
            "rows": len(rows),
            "visits": sum(r.visits for r in rows),
            **m,
        },
        "ratio": m["seconds"] / b["seconds"],
        "plans": plans,
    }


def _escalation(count: int) -> dict:
    from feedback.services import complaints_escalate

    _complaints_delete()
    made = _complaints_make(count)
    if made != count:
        raise BenchError(f"made {made:,} overdue complaints of {count:,}")
    analyze("feedback_complaint", "feedback_complaintescalation")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS bench_field_scratch (complaint_id bigint, breach varchar(10), "
                "cycle smallint, due_at timestamptz, escalated_to_id bigint, created_at timestamptz)"
            )

        def insert_select():
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("TRUNCATE bench_field_scratch")
                cursor.execute(ESCALATION_BASELINE_SQL, [BENCH_MARK])
                return cursor.rowcount

        base, copied = _median_timed(insert_select, REPETITIONS)
        if copied != count:
            raise BenchError(f"the baseline copied {copied:,} rows of {count:,}")
        first_s, first = timed(lambda: complaints_escalate())
        repeat_s, repeat = timed(lambda: complaints_escalate())
        if first < 2 * count:
            raise BenchError(f"the first sweep escalated {first:,} breaches; the run made {2 * count:,}")
        if repeat:
            raise BenchError(f"the repeat sweep escalated {repeat:,} breaches again (must be 0)")
        writes_s, written = timed(_escalation_writes)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_field_scratch")
        _complaints_delete()
    b = _figures(base)
    return {
        "complaints": count,
        "baseline": {
            "what": "INSERT … SELECT of the N complaints into a scratch temp table, committed",
            "rows": copied,
            **b,
        },
        "measured": {
            "what": "complaints_escalate: claim rows (ON CONFLICT DO NOTHING), events and notifications",
            "first_sweep": {"seconds": round(first_s, 5), "escalated": first},
            "repeat_sweep": {"seconds": round(repeat_s, 5), "escalated": repeat},
        },
        "ratio": first_s / b["seconds"],
        "ratio_repeat": repeat_s / b["seconds"],
        "same_rows_raw": {
            "what": "the first sweep's claims, events and notifications INSERT … SELECTed again into the same "
            "tables, keys checked, rolled back",
            "rows": written,
            "seconds": round(writes_s, 5),
            "ratio_to_baseline": writes_s / b["seconds"],
            "sweep_ratio_to_these": first_s / writes_s,
        },
    }


def _escalation_writes() -> int:
    """ESCALATION_WRITES_SQL in a transaction that is rolled back; the number of rows written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in ESCALATION_WRITES_SQL:
            cursor.execute(sql, [BENCH_MARK])
            written += cursor.rowcount
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred key checks, as a commit would run them
        transaction.set_rollback(True)
    return written


ROUTE_STOPS = 40
ROUTE_LAYOUTS = 30
ROUTE_TARGET_SECONDS = 0.05


def _route(seed: int) -> dict:
    from visits.route import tour as routing

    rng = random.Random(seed)
    layouts = [
        [(34.5 + rng.uniform(0, 0.3), 112.3 + rng.uniform(0, 0.3)) for _ in range(ROUTE_STOPS + 1)]
        for _ in range(ROUTE_LAYOUTS)
    ]
    base, measured, shorter = [], [], []
    for start, *stops in layouts:

        def greedy(start=start, stops=stops):
            d = routing.distance_matrix([start, *stops])
            return routing.path_length(d, routing._nearest_neighbour(d, len(d)))

        seconds, greedy_m = timed(greedy)
        base.append(seconds)
        seconds, tour = timed(lambda start=start, stops=stops: routing.plan(stops, start=start))
        measured.append(seconds)
        if sorted(tour.order) != list(range(ROUTE_STOPS)):
            raise BenchError("the route plan lost or repeated a stop")
        shorter.append(1 - tour.length_m / greedy_m)
    baseline, app = summarize(base), summarize(measured)
    if app["p95"] > ROUTE_TARGET_SECONDS:
        raise BenchError(
            f"route planning of {ROUTE_STOPS} stops took {app['p95'] * 1000:.1f} ms at p95 (target 50)"
        )
    return {
        "stops": ROUTE_STOPS,
        "layouts": ROUTE_LAYOUTS,
        "target_seconds": ROUTE_TARGET_SECONDS,
        "baseline": {"what": "distance matrix and nearest-neighbour tour alone", **baseline},
        "measured": {"what": "visits.route.tour.plan (nearest neighbour + 2-opt + Or-opt)", **app},
        "shorter_than_greedy_pct": round(100 * statistics.median(shorter), 1),
        "ratio": {"p95": app["p95"] / baseline["p95"]},
    }


SYNC_VISITS = 50
SYNC_JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8


def _offline_sync(managers: list) -> dict:
    import uuid

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import RequestFactory

    from accounts.selectors import retailer_scope
    from fieldapp.views import visit_sync_view
    from visits.models import Visit

    manager = managers[0]
    shops = list(retailer_scope(user=manager).order_by("pk").values_list("pk", flat=True)[:SYNC_VISITS])
    if not shops:
        raise BenchError(f"manager {manager} has no shops to visit")
    queue = [(shops[i % len(shops)], uuid.uuid4()) for i in range(SYNC_VISITS)]
    factory = RequestFactory()

    def post(pk, key):
        photo = SimpleUploadedFile(f"{key}.jpg", SYNC_JPEG, content_type="image/jpeg")
        data = {
            "idempotency_key": str(key),
            "no_location_reason": "bench",
            "notes": "bench-field",
            "photos": [photo],
        }
        request = factory.post(f"/field/visits/{pk}/sync/", data)
        request.user = manager
        request._dont_enforce_csrf_checks = True
        return visit_sync_view(request, pk=pk).status_code

    def round_():
        return [post(pk, key) for pk, key in queue]

    try:
        first_s, first = timed(round_)
        replay_s, replay = timed(round_)
        made = Visit.objects.filter(idempotency_key__in=[k for _pk, k in queue])
        count = made.count()
    finally:
        for visit in Visit.objects.filter(idempotency_key__in=[k for _pk, k in queue]).prefetch_related(
            "photos"
        ):
            for photo in visit.photos.all():
                photo.image.delete(save=False)
            visit.delete()
    if first != [201] * SYNC_VISITS or count != SYNC_VISITS:
        raise BenchError(
            f"the first sync answered {sorted(set(first))} and made {count} visits of {SYNC_VISITS}"
        )
    if replay != [200] * SYNC_VISITS:
        raise BenchError(f"the replayed queue answered {sorted(set(replay))} (must be 200: already saved)")
    return {
        "visits": SYNC_VISITS,
        "first_round": {"seconds": round(first_s, 5), "per_visit_ms": round(first_s / SYNC_VISITS * 1000, 2)},
        "replay": {"seconds": round(replay_s, 5), "per_visit_ms": round(replay_s / SYNC_VISITS * 1000, 2)},
        "created": count,
    }


# --- the benchmark ----------------------------------------------------------------------------------------------


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
    managers = _managers(seed)

    with MemoryWatch() as watch:
        measures = {
            "daily_list": _daily(managers, today, iterations),
            "allocation_preview": _allocation(plan),
            "credit_recompute": _credit(today),
            "coverage": _coverage(admin, today),
            "escalation": _escalation(COMPLAINTS[scale]),
            "route_plan": _route(seed),
            "offline_sync": _offline_sync(managers),
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
