"""The customer manager's phone: the daily list against a raw keyset page, the day's route against the greedy
tour, and the offline queue's sync of queued visits (then the same again: nothing created)."""

import datetime
import math
import random
import statistics

from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench.field.timing import raw_fetch
from bench.runner import (
    BenchError,
    summarize,
    timed,
)

PAGE_SIZE = 50
MANAGERS_SAMPLED = 20
QUERIES_MAX = 4

DAILY_SAMPLES_MAX = 100

DAILY_BASELINE_SQL = """
SELECT r.* FROM accounts_retailer r JOIN users_route rt ON rt.id = r.route_id
WHERE rt.manager_id = %s AND r.status = 'active' AND r.id > %s ORDER BY r.id LIMIT %s
"""


def managers_sample(seed: int) -> list:
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


def daily_list_measure(managers: list, today: datetime.date, iterations: int) -> dict:
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
        raw_fetch(DAILY_BASELINE_SQL, [manager.pk, 0, PAGE_SIZE])
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
            seconds, _rows = timed(lambda m=manager: raw_fetch(DAILY_BASELINE_SQL, [m.pk, 0, PAGE_SIZE]))
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


ROUTE_STOPS = 40
ROUTE_LAYOUTS = 30
ROUTE_TARGET_SECONDS = 0.05


def route_plan_measure(seed: int) -> dict:
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


def offline_sync_measure(managers: list) -> dict:
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
