"""The administrator's home: each periodic task's last run (recorded by the Celery hooks), failures of the last
24 h, beat and worker, queue lengths from the broker, the database size; and who gets which home."""

import datetime

import pytest
from celery import shared_task
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm.tasks import heartbeat_task
from workspace.models import TaskRun
from workspace.tasks import task_runs_prune_task

pytestmark = pytest.mark.django_db


@shared_task(name="tests.workspace.failing_task")
def failing_task():
    raise RuntimeError("汇总表被锁，导入失败")


@pytest.fixture
def schedules(db):
    cron = CrontabSchedule.objects.create(minute="*/5", hour="*")
    beat = PeriodicTask.objects.create(
        name="healthcheck-broker", task="crm.tasks.heartbeat_task", crontab=cron, last_run_at=timezone.now()
    )
    broken = PeriodicTask.objects.create(
        name="nightly-broken", task="tests.workspace.failing_task", crontab=cron
    )
    idle = PeriodicTask.objects.create(name="never-ran", task="crm.tasks.heartbeat_task", crontab=cron)
    return beat, broken, idle


def test_the_hooks_record_a_periodic_run_its_duration_and_outcome(schedules):
    heartbeat_task.apply(headers={"periodic_task_name": "healthcheck-broker"})
    failing_task.apply(headers={"periodic_task_name": "nightly-broken"})
    heartbeat_task.apply()  # not started by beat: not recorded
    runs = {r.periodic_task_name: r for r in TaskRun.objects.all()}
    assert set(runs) == {"healthcheck-broker", "nightly-broken"}
    ok, failed = runs["healthcheck-broker"], runs["nightly-broken"]
    assert (ok.outcome, ok.error, ok.task_name) == ("success", "", "crm.tasks.heartbeat_task")
    assert ok.finished_at >= ok.started_at
    assert ok.duration_ms is not None
    assert failed.outcome == "failure"
    assert failed.error == "RuntimeError: 汇总表被锁，导入失败"


def test_old_run_records_are_pruned(schedules):
    TaskRun.objects.create(
        task_id="old",
        task_name="x",
        started_at=timezone.now() - datetime.timedelta(days=31),
        outcome="success",
    )
    TaskRun.objects.create(task_id="new", task_name="x", started_at=timezone.now(), outcome="success")
    assert task_runs_prune_task.apply().get() == 1
    assert list(TaskRun.objects.values_list("task_id", flat=True)) == ["new"]


def test_the_admin_home_shows_a_failed_periodic_task(schedules, company_admin, client_for):
    heartbeat_task.apply(headers={"periodic_task_name": "healthcheck-broker"})
    failing_task.apply(headers={"periodic_task_name": "nightly-broken"})
    TaskRun.objects.create(
        task_id="yesterday",
        task_name="tests.workspace.failing_task",
        periodic_task_name="nightly-broken",
        started_at=timezone.now() - datetime.timedelta(hours=30),
        outcome="failure",
        error="older than a day",
    )
    html = client_for(company_admin).get(reverse("home")).content.decode()
    assert 'id="health-failures"' in html
    assert "RuntimeError: 汇总表被锁，导入失败" in html
    assert "older than a day" not in html  # failures of the last 24 h only
    assert 'id="failure-count">1<' in html
    assert 'data-schedule="never-ran"' in html
    assert "尚无运行记录" in html
    assert reverse("admin:django_celery_beat_periodictask_changelist") in html
    assert reverse("admin:workspace_taskrun_changelist") in html
    assert 'id="worker-heartbeat"' in html
    assert "从未" not in html.split('id="worker-heartbeat"')[1][:80]
    assert 'id="database-size"' in html
    assert " MB<" in html or " kB<" in html
    assert 'id="health-queues"' in html
    for queue in ("sends", "batch", "default"):  # every queue a worker consumes (settings.CELERY_TASK_QUEUES)
        assert f">{queue}<" in html
    assert client_for(company_admin).get(reverse("admin:workspace_taskrun_changelist")).status_code == 200


def test_each_role_gets_its_home(manager_a, route_a, supervisor_a, company_admin, client_for):
    assert 'id="ws-today"' in client_for(manager_a).get(reverse("home")).content.decode()
    supervisor = client_for(supervisor_a).get(reverse("home")).content.decode()
    assert 'id="ws-today"' not in supervisor
    assert 'id="cockpit' in supervisor or "cockpit" in supervisor  # the supervisor's home is the cockpit
    assert 'id="health-schedules"' in client_for(company_admin).get(reverse("home")).content.decode()
