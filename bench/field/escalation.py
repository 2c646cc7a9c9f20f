"""The escalation sweep over overdue complaints made for the run (first sweep and a repeat that must escalate
nothing) against an INSERT … SELECT of as many rows; beside it, the rows the sweep wrote written again by plain SQL."""

from django.db import connection, transaction

from bench.field.timing import REPETITIONS, figures, median_timed
from bench.runner import (
    BenchError,
    analyze,
    timed,
)

BENCH_MARK = "bench-field"  # visit_ref of the complaints made for the run; notes prefix of the plan

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


def complaints_delete() -> int:
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


def complaints_make(count: int) -> int:
    from feedback.complaints.models import ComplaintCategory

    category = ComplaintCategory.objects.filter(code="supply").first() or (
        ComplaintCategory.objects.filter(routing=ComplaintCategory.Routing.MANAGER).order_by("pk").first()
    )
    if category is None:
        raise BenchError("no complaint category routed to the customer manager")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(COMPLAINTS_SQL, {"category": category.pk, "mark": BENCH_MARK, "count": count})
        return cursor.rowcount


def escalation_measure(count: int) -> dict:
    from feedback.complaints.services.escalation import complaints_escalate

    complaints_delete()
    made = complaints_make(count)
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

        base, copied = median_timed(insert_select, REPETITIONS)
        if copied != count:
            raise BenchError(f"the baseline copied {copied:,} rows of {count:,}")
        first_s, first = timed(lambda: complaints_escalate())
        repeat_s, repeat = timed(lambda: complaints_escalate())
        if first < 2 * count:
            raise BenchError(f"the first sweep escalated {first:,} breaches; the run made {2 * count:,}")
        if repeat:
            raise BenchError(f"the repeat sweep escalated {repeat:,} breaches again (must be 0)")
        writes_s, written = timed(escalation_writes)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_field_scratch")
        complaints_delete()
    b = figures(base)
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


def escalation_writes() -> int:
    """ESCALATION_WRITES_SQL in a transaction that is rolled back; the number of rows written."""
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in ESCALATION_WRITES_SQL:
            cursor.execute(sql, [BENCH_MARK])
            written += cursor.rowcount
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred key checks, as a commit would run them
        transaction.set_rollback(True)
    return written
