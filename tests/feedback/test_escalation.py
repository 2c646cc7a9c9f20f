"""Escalation of breached deadlines: to the supervisor above the handler, exactly once per complaint × breach ×
reopen cycle — run twice in a row, and run by eight workers at the same instant."""

import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django_celery_beat.models import PeriodicTask

from feedback.complaints.models import Complaint, ComplaintEscalation, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.escalation import complaints_escalate
from feedback.complaints.services.workflow import complaint_reopen, complaint_resolve, complaint_start
from tests.feedback.conftest import local
from tests.feedback.factories import NotificationFactory, open_complaint


@pytest.mark.django_db
def test_a_response_breach_is_escalated_once_to_the_supervisor(
    retailer_a, manager_a, supervisor_a, clock, eager_tasks, django_capture_on_commit_callbacks
):
    from django.core import mail

    supervisor_a.email = "zhao@example.cn"
    supervisor_a.save(update_fields=["email"])
    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a, "supply")  # response due 14:30, resolution Wed 09:00
    clock.set(local(2026, 11, 23, 14, 29))
    assert complaints_escalate() == 0
    clock.set(local(2026, 11, 23, 14, 31))
    with django_capture_on_commit_callbacks(execute=True):
        assert complaints_escalate() == 1
        assert complaints_escalate() == 0  # the second run finds the claim
    assert [m.to for m in mail.outbox if "响应超时" in m.subject] == [["zhao@example.cn"]]

    escalation = ComplaintEscalation.objects.get()
    assert (escalation.complaint, escalation.breach, escalation.cycle) == (complaint, "response", 0)
    assert escalation.escalated_to == supervisor_a
    assert escalation.due_at == local(2026, 11, 23, 14, 30)
    assert Notification.objects.filter(kind="escalated", recipient=supervisor_a).count() == 1
    assert Notification.objects.filter(kind="escalated", recipient=manager_a).count() == 1
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="escalated", is_internal=True).count() == 1


@pytest.mark.django_db
def test_resolution_breach_is_its_own_escalation_and_a_reopen_starts_a_new_cycle(
    retailer_a, manager_a, supervisor_a, clock
):
    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a, "supply")
    complaint_start(complaint=complaint, actor=manager_a)  # responded: no response breach
    clock.set(local(2026, 11, 25, 9, 1))  # past Wed 09:00
    assert complaints_escalate() == 1
    assert complaints_escalate() == 0
    complaint_resolve(complaint=complaint, actor=manager_a, resolution="已补货")
    # new due, 15 h from Wed 09:01: Wed 6 h 59 min + Thu 7.5 h + 31 min → Fri 09:01
    complaint_reopen(complaint=complaint, actor=None, reason="补货没到")
    complaint.refresh_from_db()
    assert complaint.resolution_due == local(2026, 11, 27, 9, 1)
    clock.set(local(2026, 11, 27, 9, 0))
    assert complaints_escalate() == 0  # not due yet, and the first response was given
    clock.set(local(2026, 11, 27, 9, 2))
    assert complaints_escalate() == 1
    assert list(ComplaintEscalation.objects.order_by("cycle").values_list("breach", "cycle")) == [
        ("resolution", 0),
        ("resolution", 1),
    ]


@pytest.mark.django_db
def test_resolved_and_on_time_cases_are_not_escalated(retailer_a, manager_a, clock):
    clock.set(local(2026, 11, 23, 9, 0))
    done = open_complaint(retailer_a, "supply")
    complaint_start(complaint=done, actor=manager_a)
    complaint_resolve(complaint=done, actor=manager_a, resolution="已处理")
    clock.set(local(2026, 12, 1, 9, 0))
    assert complaints_escalate() == 0


@pytest.mark.django_db
def test_a_supervisor_handling_the_case_is_escalated_past_to_the_next_one_up(
    retailer_a, supervisor_a, company_admin, clock, company
):
    from tests.users.factories import SupervisorFactory

    above = SupervisorFactory(username="city_supervisor", org_unit=company)
    clock.set(local(2026, 11, 23, 9, 0))
    open_complaint(retailer_a, "cm_conduct", description="客户经理不回电话")  # routed to supervisor_a
    clock.set(local(2026, 11, 24, 9, 0))
    assert complaints_escalate() == 1
    assert ComplaintEscalation.objects.get().escalated_to == above


@pytest.mark.django_db
def test_the_sweep_escalates_to_whom_unit_supervisor_names_and_notifies_as_notify_would(
    retailer_a, manager_a, supervisor_a, clock, company
):
    """ESCALATE_SQL re-implements two Python rules for speed: its target is `unit_supervisor` (deepest unit with an
    active supervisor, lowest id among several, never the assignee) and its notices are `notify` (one per distinct
    recipient: the target and the assignee). A change to either rule alone fails here."""
    from collections import Counter

    from feedback.complaints.selectors import unit_supervisor
    from tests.users.factories import SupervisorFactory

    SupervisorFactory(username="city_supervisor", org_unit=company)
    # one more supervisor in supervisor_a's unit (a higher id) and one who left
    SupervisorFactory(username="second_in_unit", org_unit=supervisor_a.org_unit)
    left = SupervisorFactory(username="left", org_unit=supervisor_a.org_unit)
    type(left).objects.filter(pk=left.pk).update(is_active=False)
    clock.set(local(2026, 11, 23, 9, 0))
    open_complaint(retailer_a, "supply")  # handled by manager_a
    open_complaint(retailer_a, "cm_conduct", description="客户经理不回电话")  # handled by supervisor_a
    clock.set(local(2026, 11, 26, 9, 0))
    assert complaints_escalate() >= 2
    escalations = ComplaintEscalation.objects.select_related(
        "complaint__assignee__org_unit", "complaint__queue_unit"
    )
    assert len({e.complaint_id for e in escalations}) == 2
    expected_notices = Counter()
    for escalation in escalations:
        case = escalation.complaint
        unit = case.assignee.org_unit if case.assignee_id else case.queue_unit
        target = unit_supervisor(org_unit=unit, exclude=[case.assignee_id] if case.assignee_id else [])
        assert escalation.escalated_to == target
        expected_notices.update({u.pk for u in (target, case.assignee) if u is not None})
    notices = Notification.objects.filter(kind="escalated").values_list("recipient_id", flat=True)
    assert Counter(notices) == expected_notices


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_sweeps_escalate_each_breach_once(retailer_a, retailer_b, supervisor_a, clock):
    clock.set(local(2026, 11, 23, 9, 0))
    for retailer in (retailer_a, retailer_a, retailer_b):
        open_complaint(retailer, "supply")
    clock.set(local(2026, 11, 25, 9, 1))  # response and resolution both breached: 3 × 2 breaches
    barrier = threading.Barrier(8)
    results = [None] * 8

    def sweep(i):
        try:
            barrier.wait(timeout=30)
            results[i] = complaints_escalate()
        except Exception as exc:  # the assertion below shows it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(results) == 6, results
    assert ComplaintEscalation.objects.count() == 6
    assert ComplaintEvent.objects.filter(kind="escalated").count() == 6
    # each breach told its handler once (and supervisor_a for retailer_a's two cases)
    assert Notification.objects.filter(kind="escalated").count() == 6 + 4
    assert Complaint.objects.count() == 3


@pytest.mark.django_db
def test_setup_schedules_runs_the_sweep_every_five_minutes():
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task = PeriodicTask.objects.get(name="feedback-complaints-escalate")
    assert task.task == "feedback.complaints_escalate"
    assert task.crontab.minute == "*/5"


@pytest.mark.django_db(transaction=True)
def test_two_people_resolving_the_same_case_at_once_one_wins(retailer_a, manager_a, supervisor_a, clock):
    from core.errors import ConflictError

    clock.set(local(2026, 11, 23, 9, 0))
    complaint = open_complaint(retailer_a, "supply")
    complaint_start(complaint=complaint, actor=manager_a)
    seen = Complaint.objects.get(pk=complaint.pk).version
    barrier = threading.Barrier(2)
    results = [None, None]

    def resolve(i, actor):
        try:
            barrier.wait(timeout=30)
            results[i] = complaint_resolve(
                complaint=complaint.pk, actor=actor, resolution=f"处理人 {i}", expected_version=seen
            )
        except Exception as exc:  # inspected below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=resolve, args=(i, u)) for i, u in enumerate((manager_a, supervisor_a))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(type(r).__name__ for r in results) == ["Complaint", "ConflictError"]
    assert any(isinstance(r, ConflictError) for r in results)
    assert ComplaintEvent.objects.filter(complaint=complaint, kind="resolved").count() == 1


@pytest.mark.django_db
def test_escalation_texts_name_the_shop_category_breach_local_due_and_target(
    retailer_a, retailer_b, manager_a, manager_b, supervisor_a, clock
):
    clock.set(local(2026, 11, 23, 9, 0))
    a = open_complaint(retailer_a, "supply")  # response due Mon 14:30, resolution Wed 09:00
    b = open_complaint(retailer_b, "supply")  # county_b has no supervisor
    clock.set(local(2026, 11, 25, 9, 1))
    assert complaints_escalate() == 4

    events = [
        (e.complaint_id, e.is_internal, e.text_display)
        for e in ComplaintEvent.objects.filter(kind="escalated").order_by("id")
    ]
    assert events == [
        (
            a.pk,
            True,
            f"投诉 #{a.pk}（老城甲号便利店，货源供应与分配）响应超时，截止 2026-11-23 14:30，已升级至 赵主管",
        ),
        (
            a.pk,
            True,
            f"投诉 #{a.pk}（老城甲号便利店，货源供应与分配）办结超时，截止 2026-11-25 09:00，已升级至 赵主管",
        ),
        (
            b.pk,
            True,
            f"投诉 #{b.pk}（涧西乙号烟酒店，货源供应与分配）响应超时，截止 2026-11-23 14:30，无可升级的主管",
        ),
        (
            b.pk,
            True,
            f"投诉 #{b.pk}（涧西乙号烟酒店，货源供应与分配）办结超时，截止 2026-11-25 09:00，无可升级的主管",
        ),
    ]
    notices = [
        (n.recipient_id, n.complaint_id, n.text_display)
        for n in Notification.objects.filter(kind="escalated").order_by("id")
    ]
    response_a = f"投诉 #{a.pk}（老城甲号便利店，货源供应与分配）响应超时，截止 2026-11-23 14:30"
    resolution_a = f"投诉 #{a.pk}（老城甲号便利店，货源供应与分配）办结超时，截止 2026-11-25 09:00"
    assert notices == [
        (supervisor_a.pk, a.pk, response_a),
        (manager_a.pk, a.pk, response_a),
        (supervisor_a.pk, a.pk, resolution_a),
        (manager_a.pk, a.pk, resolution_a),
        (
            manager_b.pk,
            b.pk,
            f"投诉 #{b.pk}（涧西乙号烟酒店，货源供应与分配）响应超时，截止 2026-11-23 14:30",
        ),
        (
            manager_b.pk,
            b.pk,
            f"投诉 #{b.pk}（涧西乙号烟酒店，货源供应与分配）办结超时，截止 2026-11-25 09:00",
        ),
    ]
    assert list(
        ComplaintEscalation.objects.order_by("complaint_id", "breach").values_list("escalated_to", flat=True)
    ) == [
        supervisor_a.pk,
        supervisor_a.pk,
        None,
        None,
    ]


@pytest.mark.django_db
def test_escalation_emails_go_in_batches_and_each_once(
    retailer_a, manager_a, supervisor_a, clock, eager_tasks, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core import mail

    from feedback.complaints.notifications import services as service
    from feedback.tasks import notification_emails_task

    monkeypatch.setattr(service, "EMAIL_TASK_BATCH", 2)
    supervisor_a.email = "zhao@example.cn"
    supervisor_a.save(update_fields=["email"])
    manager_a.email = "wang@example.cn"
    manager_a.save(update_fields=["email"])
    clock.set(local(2026, 11, 23, 9, 0))
    for _ in range(3):
        open_complaint(retailer_a, "supply")
    mail.outbox.clear()
    clock.set(local(2026, 11, 23, 14, 31))  # 3 response breaches × (supervisor, manager): 6 emails, 3 tasks
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert complaints_escalate() == 3
    assert len(callbacks) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["wang@example.cn"] * 3 + ["zhao@example.cn"] * 3
    ids = list(Notification.objects.filter(kind="escalated").values_list("pk", flat=True))
    assert not Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).exists()
    assert notification_emails_task.delay(ids).get() == 0  # a redelivered batch sends nothing again
    assert len(mail.outbox) == 6


@pytest.mark.django_db
def test_a_failed_email_is_given_back_and_sent_by_the_retry_not_lost(manager_a, supervisor_a, monkeypatch):
    import django.core.mail
    from django.core import mail

    from feedback.complaints.notifications.services import NotificationEmailError
    from feedback.tasks import notification_emails_task

    manager_a.email = "wang@example.cn"
    manager_a.save(update_fields=["email"])
    supervisor_a.email = "zhao@example.cn"
    supervisor_a.save(update_fields=["email"])
    to_manager = NotificationFactory(recipient=manager_a, kind="escalated", text="投诉超时")
    to_supervisor = NotificationFactory(recipient=supervisor_a, kind="escalated", text="投诉超时")
    real_send = django.core.mail.send_mail

    def refuse_zhao(**kwargs):
        if kwargs["recipient_list"] == ["zhao@example.cn"]:
            raise ConnectionRefusedError("SMTP down")
        return real_send(**kwargs)

    monkeypatch.setattr(django.core.mail, "send_mail", refuse_zhao)
    mail.outbox.clear()
    with pytest.raises(NotificationEmailError):
        notification_emails_task.run([to_manager.pk, to_supervisor.pk])
    assert [m.to for m in mail.outbox] == [["wang@example.cn"]]  # the other one still went
    to_supervisor.refresh_from_db()
    assert to_supervisor.emailed_at is None  # the claim was given back

    monkeypatch.setattr(django.core.mail, "send_mail", real_send)  # the server is back: the retry
    assert notification_emails_task.run([to_manager.pk, to_supervisor.pk]) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["wang@example.cn", "zhao@example.cn"]
