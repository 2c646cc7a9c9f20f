"""Escalation of breached deadlines: every open case past its response or resolution deadline goes to the
supervisor of its handler's unit (or its queue's), once per case × breach × reopen cycle.

One rule, written twice on purpose. For speed (the first sweep after an outage may find ten thousand cases; see
bench/field.py) the sweep is one set-based statement, ESCALATE_SQL, and two of its steps re-implement rules whose
home is Python:
  - its `target` step is `feedback.complaints.selectors.unit_supervisor` (the deepest unit on the ancestry with an
    active supervisor, the lowest id among several, never the assignee themself);
  - its `notices` step is `feedback.complaints.notifications.services.notify` (one in-app notification per
    distinct recipient, then one email each, after commit, to those with an address — here through
    `notification_emails_enqueue` on the ids the statement returns).
A change to either rule changes ESCALATE_SQL too: tests/feedback/test_escalation.py
(test_the_sweep_escalates_to_whom_unit_supervisor_names_and_notifies_as_notify_would) holds the statement to the
Python rules' answers.
"""

import datetime

from django.db import connection, transaction
from django.utils import timezone

from core.messages import system_message
from feedback import system_texts as texts
from feedback.complaints.models import Complaint, ComplaintEscalation, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.notifications.services import notification_emails_enqueue
from users.models import User

Event = ComplaintEvent.Kind
Breach = ComplaintEscalation.Breach

# One statement, four steps, all set-based:
#   breach   the unclaimed breaches: open cases past their response deadline (not responded) or resolution
#            deadline, without a claim for this cycle; the unit is the assignee's org unit, else the queue's. The
#            claim is looked up by a LATERAL probe of complaintescalation_once per overdue case, never an
#            anti-join: that was planned on the claims' statistics, and on a claim table analysed while (nearly)
#            empty the planner scanned every claim for every case (seconds for 10k cases instead of milliseconds)
#   target   the supervisor of each distinct (unit, assignee or 0) by the rule of `unit_supervisor` (see the
#            module's docstring), looked up once per pair (MATERIALIZED, or the planner inlines it and looks up
#            per breach)
#   claimed  the claim rows, ON CONFLICT DO NOTHING: a concurrent sweep that claimed first wins, and only the
#            rows inserted here go on to the timeline and the notifications
#   events / notices   one internal timeline event per claim; the notifications by the rule of `notify` (the
#            target and the assignee, not twice to the same person), stored as message codes with parameters
# It answers how many breaches it claimed and the notifications whose recipient has an email address.
ESCALATE_SQL = """
WITH breach AS (
    SELECT c.id AS complaint_id, %(response)s::varchar AS breach, 1 AS ord, c.reopen_count AS cycle,
           c.response_due AS due_at, c.assignee_id, COALESCE(a.org_unit_id, c.queue_unit_id) AS unit_id
    FROM feedback_complaint c
    LEFT JOIN users_user a ON a.id = c.assignee_id
    LEFT JOIN LATERAL (
        SELECT true AS found FROM feedback_complaintescalation e
        WHERE e.complaint_id = c.id AND e.breach = %(response)s AND e.cycle = c.reopen_count
        LIMIT 1
    ) claim ON true
    WHERE c.status IN %(awaiting)s AND c.responded_at IS NULL AND c.response_due < %(now)s
      AND claim.found IS NULL
    UNION ALL
    SELECT c.id, %(resolution)s::varchar, 2, c.reopen_count,
           c.resolution_due, c.assignee_id, COALESCE(a.org_unit_id, c.queue_unit_id)
    FROM feedback_complaint c
    LEFT JOIN users_user a ON a.id = c.assignee_id
    LEFT JOIN LATERAL (
        SELECT true AS found FROM feedback_complaintescalation e
        WHERE e.complaint_id = c.id AND e.breach = %(resolution)s AND e.cycle = c.reopen_count
        LIMIT 1
    ) claim ON true
    WHERE c.status IN %(open)s AND c.resolution_due < %(now)s
      AND claim.found IS NULL
),
target AS MATERIALIZED (
    SELECT p.unit_id, p.assignee_id, sup.id AS target_id
    FROM (SELECT DISTINCT unit_id, COALESCE(assignee_id, 0) AS assignee_id FROM breach) p
    JOIN users_orgunit u ON u.id = p.unit_id
    LEFT JOIN LATERAL (
        SELECT s.id
        FROM users_user s
        JOIN users_orgunit su ON su.id = s.org_unit_id
        WHERE s.role = %(supervisor)s AND s.is_active AND su.path <> '' AND starts_with(u.path, su.path)
          AND s.id <> p.assignee_id
        ORDER BY length(su.path) DESC, s.id
        LIMIT 1
    ) sup ON true
),
claimed AS (
    INSERT INTO feedback_complaintescalation (complaint_id, breach, cycle, due_at, escalated_to_id, created_at)
    SELECT b.complaint_id, b.breach, b.cycle, b.due_at, t.target_id, %(now)s
    FROM breach b
    JOIN target t ON t.unit_id = b.unit_id AND t.assignee_id = COALESCE(b.assignee_id, 0)
    ORDER BY b.complaint_id, b.ord
    ON CONFLICT (complaint_id, breach, cycle) DO NOTHING
    RETURNING complaint_id, breach, escalated_to_id
),
texts AS (
    SELECT b.complaint_id, b.ord, b.assignee_id, k.escalated_to_id AS target_id,
           jsonb_build_object(
               'id', b.complaint_id, 'shop', r.shop_name, 'category', cat.name, 'breach', b.breach,
               'due', to_char(b.due_at AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')
           ) AS params,
           COALESCE(NULLIF(tu.display_name, ''), tu.username) AS target_name
    FROM claimed k
    JOIN breach b ON b.complaint_id = k.complaint_id AND b.breach = k.breach
    JOIN feedback_complaint c ON c.id = b.complaint_id
    JOIN accounts_retailer r ON r.id = c.retailer_id
    JOIN feedback_complaintcategory cat ON cat.id = c.category_id
    LEFT JOIN users_user tu ON tu.id = k.escalated_to_id
),
events AS (
    INSERT INTO feedback_complaintevent
        (complaint_id, kind, actor_id, at, from_status, to_status, text, message, is_internal)
    SELECT complaint_id, %(event_kind)s, NULL, %(now)s, '', '', '',
           CASE WHEN target_name IS NULL
                THEN jsonb_build_object('code', %(escalated_no_target)s, 'params', params)
                ELSE jsonb_build_object('code', %(escalated)s, 'params', params || jsonb_build_object('name', target_name))
           END,
           true
    FROM texts
    ORDER BY complaint_id, ord
),
notices AS (
    INSERT INTO feedback_notification
        (recipient_id, kind, complaint_id, text, message, created_at, read_at, emailed_at)
    SELECT x.recipient_id, %(notice_kind)s, t.complaint_id, '',
           jsonb_build_object('code', %(escalated_notice)s, 'params', t.params), %(created_at)s, NULL, NULL
    FROM texts t
    CROSS JOIN LATERAL (VALUES (1, t.target_id), (2, t.assignee_id)) AS x (pos, recipient_id)
    WHERE x.recipient_id IS NOT NULL AND NOT (x.pos = 2 AND x.recipient_id IS NOT DISTINCT FROM t.target_id)
    ORDER BY t.complaint_id, t.ord, x.pos
    RETURNING id, recipient_id
)
SELECT
    (SELECT count(*) FROM claimed),
    ARRAY(
        SELECT n.id FROM notices n JOIN users_user u ON u.id = n.recipient_id
        WHERE COALESCE(u.email, '') <> '' ORDER BY n.id
    )
"""


@transaction.atomic
def complaints_escalate(*, now: datetime.datetime | None = None) -> int:
    """Escalates every open complaint past a deadline to the supervisor of its handler's unit (or of its queue),
    once per complaint × breach × reopen cycle: the claim rows are inserted first (ON CONFLICT DO NOTHING) and
    only the rows this call inserted are notified. Returns how many breaches were escalated.

    Set-based: one statement claims, writes the timeline events and the notifications (see `ESCALATE_SQL`),
    whatever the number of breaches; the emails go after commit, a few tasks for many notifications."""
    now = now or timezone.now()
    params = {
        "now": now,
        "created_at": timezone.now(),
        "awaiting": tuple(str(s) for s in Complaint.AWAITING_RESPONSE),
        "open": tuple(str(s) for s in Complaint.OPEN_STATUSES),
        "response": str(Breach.RESPONSE),
        "resolution": str(Breach.RESOLUTION),
        "supervisor": str(User.Role.SUPERVISOR),
        "tz": timezone.get_current_timezone_name(),
        # worded when read, in the reader's language (feedback.system_texts)
        "escalated": system_message(texts.ESCALATED)["code"],
        "escalated_no_target": system_message(texts.ESCALATED_NO_TARGET)["code"],
        "escalated_notice": system_message(texts.ESCALATED_NOTICE)["code"],
        "event_kind": str(Event.ESCALATED),
        "notice_kind": str(Notification.Kind.ESCALATED),
    }
    with connection.cursor() as cursor:
        cursor.execute(ESCALATE_SQL, params)
        escalated, emailed = cursor.fetchone()
    notification_emails_enqueue(emailed)
    return escalated
