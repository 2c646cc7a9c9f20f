"""The state machine of a case: new → assigned → in progress → resolved → closed, and reopen; notes on the timeline.
Assigning is routing (feedback.complaints.services.routing); opening is intake (.intake).

Transitions lock the row (`select_for_update`) and, when the caller read a version, refuse a stale one
(`ConflictError`), so two people acting on the same case from two screens cannot both win.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.errors import ConflictError
from core.messages import system_message
from feedback import system_texts as texts
from feedback.appeals.models import TierAppeal
from feedback.complaints.models import Complaint, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.notifications.services import notify
from feedback.complaints.services.deadlines import deadlines_compute, provisional_note
from feedback.complaints.services.follow_up import complaint_follow_up_start
from feedback.complaints.services.timeline import complaint_event_add
from feedback.complaints.workcal import uncovered_years
from users.models import User

Status = Complaint.Status
Event = ComplaintEvent.Kind

REOPEN_DAYS = 30


def complaint_lock(complaint: Complaint | int, expected_version: int | None) -> Complaint:
    pk = complaint if isinstance(complaint, int) else complaint.pk
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("retailer", "category", "assignee")
        .get(pk=pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(_t("该投诉已被他人更新，请刷新后再操作。"))
    return locked


def transition_refuse(complaint: Complaint, action: str):
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


def complaint_save(complaint: Complaint, fields: list[str]) -> None:
    complaint.version += 1
    complaint.save(update_fields=[*fields, "version"])


@transaction.atomic
def complaint_start(
    *,
    complaint: Complaint | int,
    actor: User,
    expected_version: int | None = None,
    at: datetime.datetime | None = None,
) -> Complaint:
    """Assigned → in progress. The first start is the response (it stops the response clock)."""
    complaint = complaint_lock(complaint, expected_version)
    if complaint.status != Status.ASSIGNED:
        transition_refuse(complaint, _t("开始处理"))
    now = _moment(complaint, at)
    complaint.status = Status.IN_PROGRESS
    fields = ["status"]
    if complaint.responded_at is None:
        complaint.responded_at = now
        fields.append("responded_at")
    complaint_save(complaint, fields)
    complaint_event_add(
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
    complaint = complaint_lock(complaint, expected_version)
    if complaint.status != Status.IN_PROGRESS:
        transition_refuse(complaint, _t("标记为已解决"))
    if TierAppeal.objects.filter(complaint=complaint, outcome=TierAppeal.Outcome.PENDING).exists():
        raise ConflictError(_t("档位异议须由主管裁定（维持或调整档位），不能直接标记为已解决。"))
    now = _moment(complaint, at)
    complaint.status = Status.RESOLVED
    complaint.resolved_at = now
    complaint.resolution = resolution[:2000]
    complaint_save(complaint, ["status", "resolved_at", "resolution"])
    complaint_event_add(
        complaint,
        Event.RESOLVED,
        actor=actor,
        at=now,
        from_status=Status.IN_PROGRESS,
        to_status=Status.RESOLVED,
        text=message_text if message else resolution,
        message=message,
    )
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
    complaint = complaint_lock(complaint, expected_version)
    if complaint.status != Status.RESOLVED:
        transition_refuse(complaint, _t("关闭"))
    now = _moment(complaint, at)
    complaint.status = Status.CLOSED
    complaint.closed_at = now
    complaint_save(complaint, ["status", "closed_at"])
    complaint_event_add(
        complaint, Event.CLOSED, actor=actor, at=now, from_status=Status.RESOLVED, to_status=Status.CLOSED
    )
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
    complaint = complaint_lock(complaint, expected_version)
    if complaint.status not in (Status.RESOLVED, Status.CLOSED):
        transition_refuse(complaint, _t("重新打开"))
    now = timezone.now()
    if complaint.resolved_at and now - complaint.resolved_at > datetime.timedelta(days=REOPEN_DAYS):
        raise ConflictError(
            _t("已解决超过 %(days)s 天，不能重新打开，请登记新的投诉。") % {"days": REOPEN_DAYS}
        )
    before = complaint.status
    _response, resolution_due, uncovered = deadlines_compute(complaint.category, now)
    if complaint.response_due:  # the response deadline stays the one counted from receipt
        uncovered = [*uncovered, *uncovered_years(start=complaint.opened_at, end=complaint.response_due)]
    complaint.status = Status.ASSIGNED if complaint.assignee_id else Status.NEW
    complaint.reopen_count += 1
    complaint.resolution_due = resolution_due
    complaint.deadline_note = ""
    complaint.deadline_message = provisional_note(uncovered) if uncovered else None
    complaint.deadlines_provisional = bool(uncovered)
    complaint.resolved_at = None
    complaint.closed_at = None
    complaint_save(
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
    complaint_event_add(
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
    return complaint_event_add(complaint, Event.NOTE, actor=actor, text=text, internal=internal)
