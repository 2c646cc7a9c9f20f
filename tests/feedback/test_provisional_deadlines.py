"""Deadlines that run into a year the holiday calendar does not cover yet (the State Council publishes next year's
make-up days in December): computed provisionally on the rule-based public holidays, flagged, shown, escalated
like any other, and replaced by the nightly recompute once the library covers the year.

Counted by hand, office hours 08:30–12:00 and 13:30–17:30 (7.5 h a day): a case opened Wed 2026-12-30 14:00 with
16 h to resolve has 3.5 h that day, 7.5 h on Thu Dec 31 (11 h), then 2027-01-01 (Fri, New Year's Day by rule) and
the weekend are off; Mon Jan 4 gives 3.5 h by 12:00 (14.5 h) and the last 1.5 h from 13:30: due 2027-01-04 15:00.
Its 4 h response: 3.5 h on Dec 30 and 0.5 h on Dec 31: 2026-12-31 09:00 (2026 is covered)."""

import datetime

import pytest
from django.urls import reverse
from holidays.countries.china import ChinaStaticHolidays

from feedback.complaints import workcal
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEscalation
from feedback.complaints.services.deadlines import complaints_deadlines_recompute
from feedback.complaints.services.escalation import complaints_escalate
from feedback.complaints.services.workflow import complaint_start
from tests.feedback.conftest import local
from tests.feedback.factories import open_complaint

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def calendar_up_to_2026(monkeypatch):
    """The library as shipped today covers up to 2026; pin that, so the test means the same after an upgrade."""
    table = {year: days for year, days in ChinaStaticHolidays.special_public_holidays.items() if year <= 2026}
    monkeypatch.setattr(ChinaStaticHolidays, "special_public_holidays", table)
    workcal._year.cache_clear()
    yield table
    workcal._year.cache_clear()


@pytest.fixture
def sixteen_hours(db):
    ComplaintCategory.objects.filter(code="supply").update(response_hours=4, resolution_hours=16)


@pytest.fixture
def late_december(retailer_a, clock, sixteen_hours):
    clock.set(local(2026, 12, 30, 14, 0))
    return open_complaint(retailer_a, "supply")


def test_the_uncovered_year_counts_its_rule_based_holidays_without_make_up_days():
    assert workcal.calendar_coverage()[1] == 2026
    assert workcal.is_working_day(datetime.date(2027, 1, 1)) is False  # New Year's Day, a Friday
    assert workcal.is_working_day(datetime.date(2027, 1, 4)) is True
    assert workcal.is_working_day(datetime.date(2027, 2, 8)) is False  # Spring Festival by the lunar rule
    assert workcal.is_working_day(datetime.date(2027, 2, 13)) is False  # a Saturday: no make-up day known yet
    assert workcal.is_provisional(start=local(2026, 12, 30, 14, 0), end=local(2027, 1, 4, 15, 0)) is True
    assert workcal.is_provisional(start=local(2026, 12, 30, 14, 0), end=local(2026, 12, 31, 9, 0)) is False


def test_a_case_opened_on_30_december_gets_a_provisional_deadline_on_4_january(late_december):
    complaint = late_december
    assert complaint.response_due == local(2026, 12, 31, 9, 0)
    assert complaint.resolution_due == local(2027, 1, 4, 15, 0)
    assert complaint.deadlines_provisional is True
    assert complaint.deadline_note_display.startswith("暂定截止时间：2027 年调休安排未发布")
    assert complaint.events.filter(kind="note", is_internal=True, message=complaint.deadline_message).exists()


def test_the_case_page_the_list_and_the_api_say_the_deadline_is_provisional(
    late_december, manager_a, client_for, api_client_for
):
    client = client_for(manager_a)
    page = client.get(reverse("feedback:complaint-detail", args=[late_december.pk])).content.decode()
    assert "暂定截止时间：2027 年调休安排未发布" in page
    assert "2027-01-04 15:00" in page
    listing = client.get(reverse("feedback:complaint-list")).content.decode()
    assert "调休安排未发布，按法定节假日规则暂定" in listing
    body = api_client_for(manager_a).get(f"/api/v1/complaints/{late_december.pk}/").json()
    assert body["deadlines_provisional"] is True
    assert body["resolution_due"].startswith("2027-01-04T15:00:00")


def test_escalation_runs_on_a_provisional_deadline(late_december, manager_a, clock):
    complaint_start(
        complaint=late_december, actor=manager_a
    )  # responded in time: only the resolution can breach
    clock.set(local(2027, 1, 4, 14, 59))
    assert complaints_escalate() == 0
    clock.set(local(2027, 1, 4, 15, 1))
    assert complaints_escalate() == 1
    (escalation,) = ComplaintEscalation.objects.filter(complaint=late_december)
    assert escalation.breach == ComplaintEscalation.Breach.RESOLUTION
    assert escalation.due_at == local(2027, 1, 4, 15, 0)


def test_the_nightly_recompute_replaces_it_once_the_calendar_covers_the_year(
    late_december, calendar_up_to_2026, clock
):
    clock.set(local(2027, 1, 2, 0, 35))
    assert complaints_deadlines_recompute() == 0  # not covered yet: left as it is, every night
    late_december.refresh_from_db()
    assert (late_december.resolution_due, late_december.deadlines_provisional) == (
        local(2027, 1, 4, 15, 0),
        True,
    )
    version = late_december.version

    # a hypothetical 2027 notice: Mon Jan 4 off, worked on Sat Jan 9 instead
    calendar_up_to_2026[2027] = ((1, 4, 1, 9),)
    workcal._year.cache_clear()
    assert complaints_deadlines_recompute() == 1
    late_december.refresh_from_db()
    # Jan 4 off now: the last 5 h fall on Tue Jan 5, 3.5 h by 12:00 and 1.5 h from 13:30
    assert late_december.resolution_due == local(2027, 1, 5, 15, 0)
    assert late_december.response_due == local(2026, 12, 31, 9, 0)
    assert late_december.deadlines_provisional is False
    assert late_december.deadline_note_display == ""
    assert late_december.version == version + 1
    assert late_december.events.filter(kind="note", message__params__due="2027-01-05 15:00").exists()
    assert complaints_deadlines_recompute() == 0  # idempotent


def test_a_reopened_case_counts_its_resolution_from_the_reopening(
    retailer_a, manager_a, clock, sixteen_hours
):
    from feedback.complaints.services.workflow import complaint_reopen, complaint_resolve

    clock.set(local(2026, 12, 28, 9, 0))
    complaint = open_complaint(retailer_a, "supply")
    assert complaint.deadlines_provisional is False  # Mon 09:00 + 16 h: Wed Dec 30, in 2026
    complaint_start(complaint=complaint, actor=manager_a)
    complaint_resolve(complaint=complaint, actor=manager_a, resolution="已补货")
    clock.set(local(2026, 12, 30, 14, 0))
    complaint = complaint_reopen(complaint=complaint, actor=manager_a, reason="仍未到货")
    assert complaint.resolution_due == local(2027, 1, 4, 15, 0)
    assert complaint.deadlines_provisional is True

    ChinaStaticHolidays.special_public_holidays[2027] = ()
    workcal._year.cache_clear()
    assert complaints_deadlines_recompute() == 1
    complaint.refresh_from_db()
    assert complaint.resolution_due == local(
        2027, 1, 4, 15, 0
    )  # the same day, now final: counted from Dec 30
    assert complaint.deadlines_provisional is False


def test_a_covered_year_never_sets_the_flag(retailer_a, clock, sixteen_hours):
    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a, "supply")
    assert complaint.resolution_due == local(2026, 11, 25, 10, 0)  # 7.5 + 7.5 + 1 h
    assert (complaint.deadlines_provisional, complaint.deadline_note_display) == (False, "")
    assert complaints_deadlines_recompute() == 0


def test_deadlines_left_empty_by_older_code_are_filled_in_batches(retailer_a, clock, sixteen_hours):
    clock.set(local(2026, 11, 23, 9, 0))
    cases = [open_complaint(retailer_a, "supply") for _ in range(3)]
    closed = open_complaint(retailer_a, "supply")
    Complaint.objects.filter(pk__in=[c.pk for c in cases]).update(response_due=None, resolution_due=None)
    done_at = local(2026, 11, 23, 10, 0)
    Complaint.objects.filter(pk=closed.pk).update(
        resolution_due=None, status=Complaint.Status.CLOSED, resolved_at=done_at, closed_at=done_at
    )
    assert complaints_deadlines_recompute(batch_size=2) == 3
    assert set(
        Complaint.objects.filter(pk__in=[c.pk for c in cases]).values_list("response_due", "resolution_due")
    ) == {(local(2026, 11, 23, 14, 30), local(2026, 11, 25, 10, 0))}
    assert Complaint.objects.get(pk=closed.pk).resolution_due is None  # a closed case is history
    assert complaints_deadlines_recompute() == 0


def test_setup_schedules_recomputes_deadlines_nightly():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task = PeriodicTask.objects.get(name="feedback-deadlines-recompute")
    assert task.task == "feedback.complaints_deadlines_recompute"
    assert (task.crontab.hour, task.crontab.minute) == ("0", "35")
