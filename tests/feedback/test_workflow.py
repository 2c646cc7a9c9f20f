"""The workflow new → assigned → in progress → resolved → closed, reopen; every refused step; stale versions;
notes and photos; the follow-up after resolution and the rating."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from core.errors import ConflictError
from feedback.complaints.models import Complaint, ComplaintCategory
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.follow_up import complaint_follow_up_sms_send, complaint_rate
from feedback.complaints.services.photos import complaint_photo_add
from feedback.complaints.services.routing import complaint_assign
from feedback.complaints.services.workflow import (
    complaint_close,
    complaint_note_add,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
)
from tests.feedback.conftest import local
from tests.feedback.factories import not_an_image, open_complaint, png

pytestmark = pytest.mark.django_db
S = Complaint.Status


@pytest.fixture
def queued(retailer_a, county_a, on_weekday):
    """A licence case waiting unassigned in county_a's queue."""
    ComplaintCategory.objects.filter(code="licence").update(routing="unit", queue_unit=county_a)
    return open_complaint(retailer_a, "licence", description="许可证延续申请一直没有回音。")


def _status(complaint):
    complaint.refresh_from_db()
    return complaint.status


def test_the_whole_path_writes_one_timeline_line_per_step(queued, manager_a, supervisor_a, clock):
    complaint_assign(complaint=queued, assignee=manager_a, actor=supervisor_a)
    assert _status(queued) == S.ASSIGNED
    clock.set(local(2026, 11, 23, 10, 0))
    complaint_start(complaint=queued, actor=manager_a)
    assert _status(queued) == S.IN_PROGRESS
    assert queued.responded_at == local(2026, 11, 23, 10, 0)
    complaint_resolve(complaint=queued, actor=manager_a, resolution="已协助提交延续材料，许可证已换发。")
    assert _status(queued) == S.RESOLVED
    complaint_close(complaint=queued, actor=supervisor_a)
    assert _status(queued) == S.CLOSED
    kinds = list(queued.events.values_list("kind", "from_status", "to_status"))
    assert kinds == [
        ("opened", "", "new"),
        ("assigned", "new", "assigned"),
        ("started", "assigned", "in_progress"),
        ("resolved", "in_progress", "resolved"),
        ("follow_up", "", ""),  # no SMS consent: a phone follow-up is noted
        ("closed", "resolved", "closed"),
    ]
    assert queued.version == 5  # created 1, then four steps


@pytest.mark.parametrize(
    ("status", "step"),
    [
        (S.NEW, "start"),
        (S.NEW, "resolve"),
        (S.NEW, "close"),
        (S.NEW, "reopen"),
        (S.ASSIGNED, "resolve"),
        (S.ASSIGNED, "close"),
        (S.ASSIGNED, "reopen"),
        (S.IN_PROGRESS, "start"),
        (S.IN_PROGRESS, "close"),
        (S.IN_PROGRESS, "reopen"),
        (S.RESOLVED, "start"),
        (S.RESOLVED, "resolve"),
        (S.RESOLVED, "assign"),
        (S.CLOSED, "start"),
        (S.CLOSED, "resolve"),
        (S.CLOSED, "close"),
        (S.CLOSED, "assign"),
    ],
)
def test_steps_not_allowed_from_a_state_are_refused_and_change_nothing(
    queued, manager_a, supervisor_a, status, step
):
    path = [S.ASSIGNED, S.IN_PROGRESS, S.RESOLVED, S.CLOSED]
    moves = {
        S.ASSIGNED: lambda: complaint_assign(complaint=queued, assignee=manager_a, actor=supervisor_a),
        S.IN_PROGRESS: lambda: complaint_start(complaint=queued, actor=manager_a),
        S.RESOLVED: lambda: complaint_resolve(complaint=queued, actor=manager_a, resolution="已处理"),
        S.CLOSED: lambda: complaint_close(complaint=queued, actor=manager_a),
    }
    for target in path[: path.index(status) + 1] if status != S.NEW else []:
        moves[target]()
    queued.refresh_from_db()
    before = (queued.status, queued.version, queued.events.count())
    steps = {
        "assign": lambda: complaint_assign(complaint=queued, assignee=supervisor_a, actor=supervisor_a),
        "start": lambda: complaint_start(complaint=queued, actor=manager_a),
        "resolve": lambda: complaint_resolve(complaint=queued, actor=manager_a, resolution="已处理"),
        "close": lambda: complaint_close(complaint=queued, actor=manager_a),
        "reopen": lambda: complaint_reopen(complaint=queued, actor=manager_a, reason="又出现了"),
    }
    with pytest.raises(ConflictError, match="状态的投诉不能"):
        steps[step]()
    queued.refresh_from_db()
    assert (queued.status, queued.version, queued.events.count()) == before


def test_a_stale_version_is_refused(queued, manager_a, supervisor_a):
    seen = queued.version
    complaint_assign(complaint=queued, assignee=manager_a, actor=supervisor_a, expected_version=seen)
    with pytest.raises(ConflictError, match="已被他人更新"):
        complaint_assign(complaint=queued, assignee=supervisor_a, actor=supervisor_a, expected_version=seen)
    assert Complaint.objects.get(pk=queued.pk).assignee == manager_a


def test_a_conduct_complaint_cannot_be_given_to_the_manager_complained_about(
    retailer_a, manager_a, on_weekday
):
    complaint = open_complaint(retailer_a, "cm_conduct", description="客户经理收取好处费。")
    with pytest.raises(ValidationError, match="被投诉的客户经理"):
        complaint_assign(complaint=complaint, assignee=manager_a, actor=None)


def test_an_assignee_from_another_territory_is_refused(queued, manager_b, supervisor_a):
    with pytest.raises(ValidationError, match="不负责"):
        complaint_assign(complaint=queued, assignee=manager_b, actor=supervisor_a)
    assert _status(queued) == S.NEW


def test_resolving_needs_a_resolution(retailer_a, manager_a, on_weekday):
    complaint = open_complaint(retailer_a)
    complaint_start(complaint=complaint, actor=manager_a)
    with pytest.raises(ValidationError):
        complaint_resolve(complaint=complaint, actor=manager_a, resolution="  ")
    assert _status(complaint) == S.IN_PROGRESS


def test_reopen_within_the_window_starts_a_new_cycle_and_tells_the_handler(
    retailer_a, manager_a, clock, eager_tasks, django_capture_on_commit_callbacks
):
    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a)
    complaint_start(complaint=complaint, actor=manager_a)
    complaint_resolve(complaint=complaint, actor=manager_a, resolution="已补货")
    complaint_close(complaint=complaint, actor=manager_a)
    clock.set(local(2026, 11, 26, 16, 0))  # Thursday
    with django_capture_on_commit_callbacks(execute=True):
        complaint_reopen(complaint=complaint, actor=None, reason="补的货是错的品规")
    complaint.refresh_from_db()
    assert complaint.status == S.ASSIGNED
    assert complaint.reopen_count == 1
    assert complaint.resolved_at is None
    # 15 h from Thu 16:00: 1.5 h Thu + 7.5 h Fri + 6 h Mon (3.5 + 2.5) → Mon Nov 30 16:00
    assert complaint.resolution_due == local(2026, 11, 30, 16, 0)
    assert Notification.objects.filter(recipient=manager_a, kind="reopened").count() == 1


def test_reopen_after_the_window_is_refused(retailer_a, manager_a, clock):
    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a)
    complaint_start(complaint=complaint, actor=manager_a)
    complaint_resolve(complaint=complaint, actor=manager_a, resolution="已补货")
    clock.set(local(2026, 11, 23, 9, 0) + datetime.timedelta(days=31))
    with pytest.raises(ConflictError, match="超过 30 天"):
        complaint_reopen(complaint=complaint, actor=manager_a, reason="又缺货")


def test_notes_are_internal_unless_said_otherwise_and_never_empty(retailer_a, manager_a, on_weekday):
    complaint = open_complaint(retailer_a)
    note = complaint_note_add(complaint=complaint, actor=manager_a, text="已电话联系物流。")
    assert note.is_internal is True
    with pytest.raises(ValidationError):
        complaint_note_add(complaint=complaint, actor=manager_a, text=" ")


def test_photos_are_checked_by_content_and_counted(retailer_a, manager_a, on_weekday):
    complaint = open_complaint(retailer_a)
    with pytest.raises(ValidationError, match="JPEG"):
        complaint_photo_add(complaint=complaint, actor=manager_a, photo=not_an_image())
    for n in range(6):
        complaint_photo_add(complaint=complaint, actor=manager_a, photo=png(f"p{n}.png"))
    with pytest.raises(ValidationError, match="6 张"):
        complaint_photo_add(complaint=complaint, actor=manager_a, photo=png())
    assert complaint.photos.count() == 6


# --- follow-up and rating ------------------------------------------------------------------------------------------


@pytest.fixture
def sms_outbox(settings, tmp_path):
    settings.CAMPAIGNS_SMS_BACKEND = "file"
    settings.CAMPAIGNS_SMS_FILE_DIR = tmp_path

    def sent():
        return [
            line for f in sorted(tmp_path.iterdir()) for line in f.read_text(encoding="utf-8").splitlines()
        ]

    return sent


def _resolved(retailer, manager):
    complaint = open_complaint(retailer)
    complaint_start(complaint=complaint, actor=manager)
    complaint_resolve(complaint=complaint, actor=manager, resolution="已协调补货 5 条。")
    complaint.refresh_from_db()
    return complaint


def test_resolution_sends_one_follow_up_sms_with_a_rating_link(
    retailer_a, manager_a, on_weekday, sms_outbox, eager_tasks, django_capture_on_commit_callbacks
):
    retailer_a.sms_consent = True
    retailer_a.save(update_fields=["sms_consent"])
    with django_capture_on_commit_callbacks(execute=True):
        complaint = _resolved(retailer_a, manager_a)
    complaint.refresh_from_db()
    assert complaint.follow_up == "sms"
    assert complaint.follow_up_at is not None
    lines = sms_outbox()
    assert len(lines) == 1
    assert "/r/rate/" in lines[0]
    assert "【烟草公司】" in lines[0]
    assert "回T退订" in lines[0]
    # a retried task does not send again
    assert complaint_follow_up_sms_send(complaint_id=complaint.pk) is False
    assert len(sms_outbox()) == 1


def test_without_sms_consent_the_case_says_follow_up_by_phone(retailer_a, manager_a, on_weekday, sms_outbox):
    complaint = _resolved(retailer_a, manager_a)
    assert complaint.follow_up == "phone"
    assert complaint_follow_up_sms_send(complaint_id=complaint.pk) is False
    assert sms_outbox() == []


def test_a_rating_is_stored_once_and_a_low_one_flags_a_supervisor_call(
    retailer_a, manager_a, supervisor_a, on_weekday
):
    complaint = _resolved(retailer_a, manager_a)
    complaint_rate(complaint=complaint, rating=2, comment="拖了很久")
    complaint.refresh_from_db()
    assert (complaint.rating, complaint.rating_comment, complaint.needs_supervisor_call) == (
        2,
        "拖了很久",
        True,
    )
    assert complaint.status == S.RESOLVED  # nothing reopens by itself
    assert Notification.objects.filter(recipient=supervisor_a, kind="low_rating").count() == 1
    with pytest.raises(ConflictError, match="已经评价过"):
        complaint_rate(complaint=complaint, rating=5)
    complaint.refresh_from_db()
    assert complaint.rating == 2


@pytest.mark.parametrize("rating", [0, 6, "x", None])
def test_a_rating_out_of_range_is_refused(retailer_a, manager_a, on_weekday, rating):
    complaint = _resolved(retailer_a, manager_a)
    with pytest.raises(ValidationError):
        complaint_rate(complaint=complaint, rating=rating)
    complaint.refresh_from_db()
    assert complaint.rating is None


def test_an_open_case_cannot_be_rated(retailer_a, on_weekday):
    complaint = open_complaint(retailer_a)
    with pytest.raises(ConflictError):
        complaint_rate(complaint=complaint, rating=4)


def test_assignment_email_goes_to_the_assignee(
    queued, manager_a, supervisor_a, eager_tasks, django_capture_on_commit_callbacks
):
    manager_a.email = "wang@example.cn"
    manager_a.save(update_fields=["email"])
    with django_capture_on_commit_callbacks(execute=True):
        complaint_assign(complaint=queued, assignee=manager_a, actor=supervisor_a)
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]
    assert f"/service/complaints/{queued.pk}/" in mail.outbox[0].body


def test_a_case_taken_over_from_another_system_keeps_its_real_times(retailer_a, manager_a, clock):
    clock.set(local(2026, 11, 25, 10, 0))
    complaint = open_complaint(retailer_a, "supply", channel="12313", opened_at=local(2026, 11, 23, 9, 0))
    assert complaint.response_due == local(2026, 11, 23, 14, 30)  # counted from when it was received
    complaint_start(complaint=complaint, actor=manager_a, at=local(2026, 11, 23, 10, 0))
    with pytest.raises(ValidationError):  # before the last step
        complaint_resolve(
            complaint=complaint, actor=manager_a, resolution="已补货", at=local(2026, 11, 23, 9, 30)
        )
    complaint_resolve(
        complaint=complaint, actor=manager_a, resolution="已补货", at=local(2026, 11, 24, 16, 0)
    )
    complaint.refresh_from_db()
    assert (complaint.responded_at, complaint.resolved_at) == (
        local(2026, 11, 23, 10, 0),
        local(2026, 11, 24, 16, 0),
    )
    assert complaint.follow_up == "phone"  # no SMS about an old case
    with pytest.raises(ValidationError):
        open_complaint(retailer_a, opened_at=local(2026, 11, 26, 9, 0))  # in the future
