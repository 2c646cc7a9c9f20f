"""Every write on a complaint: open (route, deadlines, timeline), the workflow transitions, notes and photos,
escalation of breached deadlines (claimed once per breach), notifications, the satisfaction rating.

Transitions lock the row (`select_for_update`) and, when the caller read a version, refuse a stale one
(`ConflictError`), so two people acting on the same case from two screens cannot both win.
"""

import datetime
import logging
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError
from core.messages import system_message
from feedback import system_texts as texts
from feedback.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintPhoto,
    Notification,
    TierAppeal,
)
from feedback.selectors.complaints import unit_supervisor
from feedback.workcal import uncovered_years, working_day_end, working_time_add
from users.models import User

logger = logging.getLogger(__name__)

Status = Complaint.Status
Event = ComplaintEvent.Kind
Breach = ComplaintEscalation.Breach

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 6
# magic bytes → content type; anything else is refused whatever its name or declared type says
_PHOTO_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
REOPEN_DAYS = 30


# --- helpers -------------------------------------------------------------------------------------------------


def _event(
    complaint,
    kind,
    *,
    actor=None,
    at=None,
    from_status="",
    to_status="",
    text="",
    message=None,
    internal=False,
):
    """One timeline line. `text` is a person's words (a note, a reason); what the system says goes in `message`
    (core.messages), worded for each reader."""
    return ComplaintEvent.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        at=at or timezone.now(),
        from_status=from_status,
        to_status=to_status,
        text=text,
        message=message,
        is_internal=internal,
    )


def notify(
    *, recipients: Iterable[User], kind: str, complaint: Complaint | None, message: dict, text: str = ""
) -> list[Notification]:
    """In-app notifications (bulk) and, after commit, one email each to those who have an address. `message` is
    the system's line (core.messages); `text` a person's words it quotes as %(text)s."""
    rows = Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind=kind, complaint=complaint, text=str(text)[:300], message=message
            )
            for user in {u.pk: u for u in recipients if u is not None}.values()
        ]
    )
    return _notifications_send(rows)


EMAIL_TASK_BATCH = 500  # notification ids per email task


def _notifications_send(rows: list[Notification]) -> list[Notification]:
    """After commit, email the notifications whose recipient has an address."""
    _emails_enqueue([row.pk for row in rows if row.recipient.email])
    return rows


def _emails_enqueue(notification_ids: list[int]) -> None:
    """After commit, one email task per batch of notification ids (each email still claimed once, by id)."""
    from feedback.tasks import notification_emails_task

    batches = [
        notification_ids[i : i + EMAIL_TASK_BATCH] for i in range(0, len(notification_ids), EMAIL_TASK_BATCH)
    ]
    if batches:
        transaction.on_commit(lambda: [notification_emails_task.delay(batch) for batch in batches])


def notification_email_send(*, notification_id: int) -> bool:
    """Emails one notification at most once: the `emailed_at` claim is taken before sending and given back if the
    sending fails (the error propagates, so the task is retried and the email is not lost)."""
    from django.conf import settings
    from django.core.mail import send_mail

    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient", "complaint").get(pk=notification_id)
    if not notification.recipient.email:
        return False
    link = ""
    if notification.complaint_id:
        link = (
            "\n" + settings.CAMPAIGNS_PUBLIC_BASE_URL.rstrip("/") + notification.complaint.get_absolute_url()
        )
    try:
        shown = notification.text_display
        send_mail(
            subject=_t("【客户服务】%(text)s") % {"text": shown[:60]},
            message=shown + link,
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        # the mail server refused or was down: give the claim back so a retry sends it, and say so to the caller
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=list(notification_ids))
    return qs.update(read_at=timezone.now())


def photo_validate(photo) -> str:
    """The photo's content type from its first bytes, or ValidationError (not an image we take, or too big)."""
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("照片不能超过 5 MB。"), code="photo_size")
    head = photo.read(16)
    photo.seek(0)
    for signature, content_type in _PHOTO_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise ValidationError(_("只能上传 JPEG、PNG 或 WebP 格式的照片。"), code="photo_type")


def _photos_save(complaint, photos, actor) -> list[ComplaintPhoto]:
    saved = []
    for photo in photos:
        content_type = photo_validate(photo)
        saved.append(
            ComplaintPhoto.objects.create(
                complaint=complaint,
                image=photo,
                content_type=content_type,
                size=photo.size,
                uploaded_by=actor,
            )
        )
    return saved


def _provisional_note(years: Iterable[int]) -> dict:
    return system_message(texts.DEADLINES_PROVISIONAL, years=sorted(set(years)))


def _deadlines(category: ComplaintCategory, start: datetime.datetime):
    """(response_due, resolution_due, uncovered years) counted in working hours from `start`. When a deadline
    runs into a year the holiday calendar has no official schedule for yet (late December for the next year),
    it is still computed, on that year's rule-based public holidays without make-up days, and the years are
    returned so the case is flagged provisional; `complaints_deadlines_recompute` replaces it once the library
    covers the year. A case is never left without deadlines: it would never escalate."""
    response_due = working_time_add(start=start, hours=category.response_hours)
    if category.same_day_dispatch:
        response_due = min(response_due, working_day_end(moment=start))
    resolution_due = working_time_add(start=start, hours=category.resolution_hours)
    years = uncovered_years(start=start, end=max(response_due, resolution_due))
    if years:
        logger.info("complaint deadlines provisional: holiday calendar does not cover %s", years)
    return response_due, resolution_due, years


def _route(*, category: ComplaintCategory, retailer, customer_manager: User | None):
    """(assignee or None, queue unit) by the category's routing rule."""
    routing = ComplaintCategory.Routing
    if category.routing == routing.UNIT:
        return None, category.queue_unit
    if category.routing == routing.SUPERVISOR:
        exclude = [customer_manager.pk] if customer_manager else []
        return unit_supervisor(org_unit=retailer.org_unit, exclude=exclude), retailer.org_unit
    if customer_manager is not None and customer_manager.is_active:
        return customer_manager, retailer.org_unit
    return unit_supervisor(org_unit=retailer.org_unit), retailer.org_unit


def _assign_message(complaint: Complaint) -> dict:
    return system_message(
        texts.NEW_CASE, category=complaint.category.name, shop=complaint.retailer.shop_name, id=complaint.pk
    )


# --- open ------------------------------------------------------------------------------------------------------


@transaction.atomic
def complaint_open(
    *,
    retailer,
    category_code: str,
    description: str,
    channel: str,
    actor: User | None = None,
    priority: str | None = None,
    product=None,
    order=None,
    photos=(),
    visit_ref: str = "",
    kind: str = Complaint.Kind.COMPLAINT,
    opened_at: datetime.datetime | None = None,
) -> Complaint:
    """Registers a complaint or request: routes it by its category, computes its deadlines in working hours and
    writes the first lines of its timeline. Bad input raises ValidationError and writes nothing.
    `opened_at` is for a case taken over from another system (a 12313 record): when it was really received; its
    deadlines count from then. It may not lie in the future."""
    from accounts.models import Retailer

    category = ComplaintCategory.objects.select_related("queue_unit").filter(
        code=category_code, is_active=True
    )
    category = category.first()
    if category is None:
        raise ValidationError({"category": _("没有这个投诉类别。")})
    if retailer.status == Retailer.Status.CLOSED or retailer.merged_into_id:
        raise ValidationError({"retailer": _("该零售户已注销或已合并，不能登记投诉。")})
    if order is not None and order.retailer_id != retailer.pk:
        raise ValidationError({"order": _("订单不属于该零售户。")})
    photos = list(photos)
    if len(photos) > PHOTO_MAX_COUNT:
        raise ValidationError({"photos": _("最多上传 6 张照片。")})
    for photo in photos:
        try:
            photo_validate(photo)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from None

    now = timezone.now()
    if opened_at is not None:
        if opened_at > now:
            raise ValidationError({"opened_at": _("受理时间不能晚于现在。")})
        now = opened_at
    customer_manager = retailer.route.manager if retailer.route_id else None
    assignee, queue_unit = _route(category=category, retailer=retailer, customer_manager=customer_manager)
    response_due, resolution_due, uncovered = _deadlines(category, now)
    note = _provisional_note(uncovered) if uncovered else None
    complaint = Complaint(
        retailer=retailer,
        category=category,
        kind=kind,
        channel=channel,
        priority=priority or category.default_priority,
        status=Status.ASSIGNED if assignee else Status.NEW,
        description=(description or "").strip(),
        product=product,
        order=order,
        customer_manager=customer_manager,
        assignee=assignee,
        queue_unit=queue_unit,
        opened_by=actor,
        visit_ref=visit_ref,
        opened_at=now,
        response_due=response_due,
        resolution_due=resolution_due,
        deadline_message=note,
        deadlines_provisional=bool(uncovered),
    )
    complaint.full_clean()
    complaint.save()
    received = system_message(texts.RECEIVED_BY, channel=str(channel))
    _event(complaint, Event.OPENED, actor=actor, at=now, to_status=Status.NEW, message=received)
    if note:
        _event(complaint, Event.NOTE, at=now, message=note, internal=True)
    _photos_save(complaint, photos, actor)
    if assignee:
        _event(
            complaint,
            Event.ASSIGNED,
            at=now,
            from_status=Status.NEW,
            to_status=Status.ASSIGNED,
            message=system_message(texts.ASSIGNED_BY_RULE, name=str(assignee)),
        )
        notify(
            recipients=[assignee],
            kind=Notification.Kind.ASSIGNED,
            complaint=complaint,
            message=_assign_message(complaint),
        )
    else:
        dispatcher = unit_supervisor(org_unit=queue_unit)
        notify(
            recipients=[dispatcher],
            kind=Notification.Kind.ASSIGNED,
            complaint=complaint,
            message=system_message(
                texts.NEW_IN_QUEUE, unit=str(queue_unit), category=category.name, id=complaint.pk
            ),
        )
    return complaint


@transaction.atomic
def complaint_open_once(
    *, retailer, category_code: str, description: str, **kwargs
) -> tuple[Complaint, bool]:
    """`complaint_open`, unless the same retailer filed the same complaint a moment ago (a double tap, a resent
    form): then that one, and False. The check and the insert run under a lock per retailer, so two identical
    submissions arriving together file one complaint."""
    from feedback.selectors.complaints import complaint_recent_duplicate

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"complaint-intake:{retailer.pk}"])
    duplicate = complaint_recent_duplicate(
        retailer=retailer, category_code=category_code, description=description
    )
    if duplicate is not None:
        return duplicate, False
    complaint = complaint_open(
        retailer=retailer, category_code=category_code, description=description, **kwargs
    )
    return complaint, True


# --- transitions -------------------------------------------------------------------------------------------------


def _locked(complaint: Complaint | int, expected_version: int | None) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("retailer", "category", "assignee")
        .get(pk=pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(_t("该投诉已被他人更新，请刷新后再操作。"))
    return locked


def _refuse(complaint: Complaint, action: str):
    raise ConflictError(
        _t("“%(status)s”状态的投诉不能%(action)s。")
        % {"status": complaint.get_status_display(), "action": action}
    )


def _moment(complaint: Complaint, at: datetime.datetime | None) -> datetime.datetime:
    """When a step happened: now, or (a record taken over from another system) a past moment after the case's
    last event."""
    now = timezone.now()
    if at is None:
        return now
    last = complaint.events.order_by("-at").values_list("at", flat=True).first() or complaint.opened_at
    if not last <= at <= now:
        raise ValidationError({"at": _("处理时间必须在上一步之后、现在之前。")})
    return at


def _save(complaint: Complaint, fields: list[str]) -> None:
    complaint.version += 1
    complaint.save(update_fields=[*fields, "version"])


def _may_handle(*, user: User, complaint: Complaint) -> bool:
    from feedback.selectors.complaints import complaint_scope

    return complaint_scope(user=user).filter(pk=complaint.pk).exists()


@transaction.atomic
def complaint_assign(
    *, complaint: Complaint | int, assignee: User, actor: User | None, expected_version: int | None = None
) -> Complaint:
    """New, assigned or in-progress → assigned to `assignee` (an active staff member who may see the retailer; for
    a complaint about a customer manager's conduct, never that manager)."""
    complaint = _locked(complaint, expected_version)
    if complaint.status not in Complaint.OPEN_STATUSES:
        _refuse(complaint, _t("分派"))
    if not assignee.is_active or assignee.role == User.Role.INTEGRATION:
        raise ValidationError({"assignee": _("处理人必须是在职员工。")})
    if (
        complaint.category.routing == ComplaintCategory.Routing.SUPERVISOR
        and complaint.customer_manager_id == assignee.pk
    ):
        raise ValidationError({"assignee": _("投诉客户经理的案件不能交给被投诉的客户经理。")})
    if assignee.pk == complaint.assignee_id and complaint.status == Status.ASSIGNED:
        raise ConflictError(_t("该投诉已分派给此人。"))
    if not (
        assignee.is_company_admin
        or _may_handle(user=assignee, complaint=complaint)
        or _in_queue(assignee, complaint)
    ):
        raise ValidationError({"assignee": _("处理人不负责该零售户或该部门。")})
    before = complaint.status
    complaint.assignee = assignee
    complaint.status = Status.ASSIGNED
    _save(complaint, ["assignee", "status"])
    _event(
        complaint,
        Event.ASSIGNED,
        actor=actor,
        from_status=before,
        to_status=Status.ASSIGNED,
        text=str(assignee),
    )
    notify(
        recipients=[assignee],
        kind=Notification.Kind.ASSIGNED,
        complaint=complaint,
        message=_assign_message(complaint),
    )
    return complaint


def _in_queue(user: User, complaint: Complaint) -> bool:
    return bool(user.org_unit_id) and complaint.queue_unit.path.startswith(user.org_unit.path)


@transaction.atomic
def complaint_start(
    *,
    complaint: Complaint | int,
    actor: User,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Complaint:
    """Assigned → in progress. The first start is the response (it stops the response clock)."""
    complaint = _locked(complaint, expected_version)
    if complaint.status != Status.ASSIGNED:
        _refuse(complaint, _t("开始处理"))
    now = _moment(complaint, at)
    complaint.status = Status.IN_PROGRESS
    fields = ["status"]
    if complaint.responded_at is None:
        complaint.responded_at = now
        fields.append("responded_at")
    _save(complaint, fields)
    _event(
        complaint,
        Event.STARTED,
        actor=actor,
        at=now,
        from_status=Status.ASSIGNED,
        to_status=Status.IN_PROGRESS,
    )
    return complaint


@transaction.atomic
def complaint_resolve(
    *,
    complaint: Complaint | int,
    actor: User,
    resolution: str,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
    message: dict | None = None,
    message_text: str = "",
) -> Complaint:
    """In progress → resolved, with what was done; then the satisfaction follow-up (SMS link, or a call). When
    the system words the resolution (a tier appeal's decision), the timeline keeps its `message` and the person's
    words it quotes (`message_text`) instead of the resolution's text, so each reader reads it in their language."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("请填写处理结果。")})
    complaint = _locked(complaint, expected_version)
    if complaint.status != Status.IN_PROGRESS:
        _refuse(complaint, _t("标记为已解决"))
    if TierAppeal.objects.filter(complaint=complaint, outcome=TierAppeal.Outcome.PENDING).exists():
        raise ConflictError(_t("档位异议须由主管裁定（维持或调整档位），不能直接标记为已解决。"))
    now = _moment(complaint, at)
    complaint.status = Status.RESOLVED
    complaint.resolved_at = now
    complaint.resolution = resolution[:2000]
    _save(complaint, ["status", "resolved_at", "resolution"])
    _event(
        complaint,
        Event.RESOLVED,
        actor=actor,
        at=now,
        from_status=Status.IN_PROGRESS,
        to_status=Status.RESOLVED,
        text=message_text if message else resolution,
        message=message,
    )
    from feedback.services.follow_up import complaint_follow_up_start

    # a resolution recorded after the fact (at=...) does not text the retailer now about an old case
    complaint_follow_up_start(complaint=complaint, at=now, send_sms=at is None)
    return complaint


@transaction.atomic
def complaint_close(
    *,
    complaint: Complaint | int,
    actor: User,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Complaint:
    complaint = _locked(complaint, expected_version)
    if complaint.status != Status.RESOLVED:
        _refuse(complaint, _t("关闭"))
    now = _moment(complaint, at)
    complaint.status = Status.CLOSED
    complaint.closed_at = now
    _save(complaint, ["status", "closed_at"])
    _event(complaint, Event.CLOSED, actor=actor, at=now, from_status=Status.RESOLVED, to_status=Status.CLOSED)
    return complaint


@transaction.atomic
def complaint_reopen(
    *, complaint: Complaint | int, actor: User | None, reason: str, expected_version: int | None = None
) -> Complaint:
    """Resolved or closed (within REOPEN_DAYS of the resolution) → assigned again to the last handler, with a new
    resolution deadline counted from now; a new escalation cycle."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请说明重新打开的原因。")})
    complaint = _locked(complaint, expected_version)
    if complaint.status not in (Status.RESOLVED, Status.CLOSED):
        _refuse(complaint, _t("重新打开"))
    now = timezone.now()
    if complaint.resolved_at and now - complaint.resolved_at > datetime.timedelta(days=REOPEN_DAYS):
        raise ConflictError(
            _t("已解决超过 %(days)s 天，不能重新打开，请登记新的投诉。") % {"days": REOPEN_DAYS}
        )
    before = complaint.status
    _response, resolution_due, uncovered = _deadlines(complaint.category, now)
    if complaint.response_due:  # the response deadline stays the one counted from receipt
        uncovered = [*uncovered, *uncovered_years(start=complaint.opened_at, end=complaint.response_due)]
    complaint.status = Status.ASSIGNED if complaint.assignee_id else Status.NEW
    complaint.reopen_count += 1
    complaint.resolution_due = resolution_due
    complaint.deadline_note = ""
    complaint.deadline_message = _provisional_note(uncovered) if uncovered else None
    complaint.deadlines_provisional = bool(uncovered)
    complaint.resolved_at = None
    complaint.closed_at = None
    _save(
        complaint,
        [
            "status",
            "reopen_count",
            "resolution_due",
            "deadline_note",
            "deadline_message",
            "deadlines_provisional",
            "resolved_at",
            "closed_at",
        ],
    )
    _event(
        complaint,
        Event.REOPENED,
        actor=actor,
        at=now,
        from_status=before,
        to_status=complaint.status,
        text=reason,
    )
    if complaint.assignee_id:
        notify(
            recipients=[complaint.assignee],
            kind=Notification.Kind.REOPENED,
            complaint=complaint,
            message=system_message(texts.REOPENED, id=complaint.pk),
            text=reason[:100],
        )
    return complaint


@transaction.atomic
def complaint_note_add(
    *, complaint: Complaint, actor: User, text: str, internal: bool = True
) -> ComplaintEvent:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("备注不能为空。")})
    if len(text) > 2000:
        raise ValidationError({"text": _("备注不能超过 2000 字。")})
    return _event(complaint, Event.NOTE, actor=actor, text=text, internal=internal)


@transaction.atomic
def complaint_photo_add(*, complaint: Complaint, actor: User | None, photo) -> ComplaintPhoto:
    if complaint.photos.count() >= PHOTO_MAX_COUNT:
        raise ValidationError({"photos": _("最多上传 6 张照片。")})
    (saved,) = _photos_save(complaint, [photo], actor)
    _event(complaint, Event.PHOTO, actor=actor, text=saved.image.name.rsplit("/", 1)[-1])
    return saved


# --- escalation ---------------------------------------------------------------------------------------------------

# One statement, four steps, all set-based (the first sweep after an outage may find ten thousand cases):
#   breach   the unclaimed breaches: open cases past their response deadline (not responded) or resolution
#            deadline, without a claim for this cycle; the unit is the assignee's org unit, else the queue's. The
#            claim is looked up by a LATERAL probe of complaintescalation_once per overdue case, never an
#            anti-join: that was planned on the claims' statistics, and on a claim table analysed while (nearly)
#            empty the planner scanned every claim for every case (seconds for 10k cases instead of milliseconds)
#   target   the supervisor of each distinct (unit, assignee or 0), looked up once per pair (MATERIALIZED, or
#            the planner inlines it and looks up per breach): the deepest unit on the ancestry with an active
#            supervisor, the lowest id among several, never the assignee themself (as `unit_supervisor`)
#   claimed  the claim rows, ON CONFLICT DO NOTHING: a concurrent sweep that claimed first wins, and only the
#            rows inserted here go on to the timeline and the notifications
#   events / notices   one internal timeline event per claim, one notification to the target and one to the
#            assignee (not twice to the same person), the texts filled from the translated formats
# It answers how many breaches it claimed and the notifications whose recipient has an email address.
_ESCALATE_SQL = """
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

    Set-based: one statement claims, writes the timeline events and the notifications (see `_ESCALATE_SQL`),
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
        cursor.execute(_ESCALATE_SQL, params)
        escalated, emailed = cursor.fetchone()
    _emails_enqueue(emailed)
    return escalated


# --- hidden complaints and exports --------------------------------------------------------------------------------


@transaction.atomic
def hidden_complaint_call_record(*, retailer, user: User, outcome: str, reason: str, note: str = ""):
    """Records the call made to a flagged retailer ("mark as called"); it drops off the list until a new signal."""
    from feedback.models import HiddenComplaintCall

    call = HiddenComplaintCall(
        retailer=retailer,
        called_by=user,
        outcome=outcome,
        reason=(reason or "")[:300],
        note=(note or "").strip(),
        called_at=timezone.now(),
    )
    call.full_clean()
    call.save()
    return call


def complaint_export_log(*, user: User, filters: dict, row_count: int = 0):
    from feedback.models import ComplaintExport

    return ComplaintExport.objects.create(user=user, filters=filters, row_count=row_count)


def complaint_export_count_set(*, export, row_count: int) -> None:
    export.row_count = row_count
    export.save(update_fields=["row_count"])


RECOMPUTE_BATCH = 500


def complaints_deadlines_recompute(
    *, complaint_ids: Iterable[int] | None = None, batch_size: int = RECOMPUTE_BATCH
) -> int:
    """Daily (beat) and from the admin: recomputes provisional deadlines once the holiday calendar covers every
    year they run through (after `holidays` is upgraded with the State Council's notice), and fills deadlines
    left empty by older versions of this code (provisional if need be). The response deadline counts from
    receipt, the resolution deadline from the last reopening. A provisional deadline whose year is still not
    covered is left as it is, so the daily run changes nothing until the library is upgraded (idempotent).
    In batches by id, each one transaction with its rows locked (SKIP LOCKED: a case being worked on right now
    is picked up by the next run), one bulk UPDATE and one INSERT of timeline notes per batch.
    An escalation already sent on a provisional deadline stays sent. Returns how many cases changed."""
    pending = Q(deadlines_provisional=True) | Q(
        resolution_due__isnull=True, status__in=Complaint.OPEN_STATUSES
    )
    qs = Complaint.objects.filter(pending)
    if complaint_ids is not None:
        qs = qs.filter(pk__in=list(complaint_ids))
    last_reopened = (
        ComplaintEvent.objects.filter(complaint=OuterRef("pk"), kind=Event.REOPENED)
        .order_by("-at")
        .values("at")[:1]
    )
    done = 0
    after = 0
    while True:
        with transaction.atomic():
            batch = list(
                qs.filter(pk__gt=after)
                .select_related("category")
                .select_for_update(skip_locked=True, of=("self",))
                .annotate(last_reopened=Subquery(last_reopened))
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return done
            after = batch[-1].pk
            changed = []
            for complaint in batch:
                response_due, resolution_due, uncovered = _deadlines(complaint.category, complaint.opened_at)
                if complaint.last_reopened:
                    _r, resolution_due, again = _deadlines(complaint.category, complaint.last_reopened)
                    uncovered = [*uncovered, *again]
                if uncovered and complaint.deadlines_provisional:
                    continue  # still not covered: nothing new to say
                complaint.response_due = response_due
                complaint.resolution_due = resolution_due
                complaint.deadlines_provisional = bool(uncovered)
                complaint.deadline_note = ""
                complaint.deadline_message = _provisional_note(uncovered) if uncovered else None
                complaint.version += 1
                changed.append(complaint)
            if changed:
                Complaint.objects.bulk_update(
                    changed,
                    [
                        "response_due",
                        "resolution_due",
                        "deadlines_provisional",
                        "deadline_note",
                        "deadline_message",
                        "version",
                    ],
                )
                now = timezone.now()
                ComplaintEvent.objects.bulk_create(
                    [
                        ComplaintEvent(
                            complaint=complaint,
                            kind=Event.NOTE,
                            at=now,
                            message=(
                                complaint.deadline_message
                                if complaint.deadlines_provisional
                                else system_message(
                                    texts.DEADLINES_RECOMPUTED,
                                    due=timezone.localtime(complaint.resolution_due).strftime(
                                        "%Y-%m-%d %H:%M"
                                    ),
                                )
                            ),
                            is_internal=True,
                        )
                        for complaint in changed
                    ]
                )
                done += len(changed)
