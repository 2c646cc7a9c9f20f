"""One run at a time, the Celery tasks' idempotence and the nightly schedule."""

import datetime

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.errors import ConflictError
from segmentation import tasks
from segmentation.scoring.models import ScoreChange, ScoringEvent, ScoringRun
from segmentation.scoring.services import RUN_STALE_AFTER, scoring_run_execute, scoring_run_start
from tests.segmentation.conftest import AS_OF, weeks_ago


def test_a_second_run_cannot_start_while_one_is_queued_or_running(db):
    first = scoring_run_start(as_of=AS_OF)
    with pytest.raises(ConflictError):
        scoring_run_start(as_of=AS_OF)
    # the database itself refuses a second active run, whatever code path tries
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringRun.objects.create(status=ScoringRun.Status.RUNNING)
    scoring_run_execute(run_id=first.pk)
    assert scoring_run_start(as_of=AS_OF).status == ScoringRun.Status.QUEUED


def test_a_run_abandoned_for_hours_is_failed_so_the_next_one_can_start(db):
    stuck = scoring_run_start(as_of=AS_OF)
    ScoringRun.objects.filter(pk=stuck.pk).update(
        status=ScoringRun.Status.RUNNING,
        created_at=timezone.now() - RUN_STALE_AFTER + datetime.timedelta(minutes=5),
    )
    with pytest.raises(ConflictError):  # not stale yet
        scoring_run_start(as_of=AS_OF)
    ScoringRun.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - RUN_STALE_AFTER)

    fresh = scoring_run_start(as_of=AS_OF)

    stuck.refresh_from_db()
    assert stuck.status == ScoringRun.Status.FAILED
    assert "小时没有完成" in stuck.error
    assert fresh.status == ScoringRun.Status.QUEUED


def test_the_run_records_who_started_it_and_when(supervisor_a, retailer_a, place_orders):
    place_orders(retailer_a, [(weeks_ago(1), 5)])
    run = scoring_run_start(user=supervisor_a, as_of=AS_OF)
    run = scoring_run_execute(run_id=run.pk)
    assert run.created_by == supervisor_a
    assert run.parameters["as_of"] == AS_OF.isoformat()
    assert run.parameters["window_months"] == 12
    assert run.started_at <= run.finished_at
    assert run.duration == run.finished_at - run.started_at


def test_the_task_does_not_redo_a_finished_run(route_a, retailer_a, place_orders, score_now):
    place_orders(retailer_a, [(weeks_ago(n), 5) for n in range(1, 10)])
    score_now()  # a first score to compare with
    run = scoring_run_start(as_of=AS_OF.replace(day=30))  # 26 days on: at risk
    assert tasks.scoring_run_task(run.pk) == "done"
    finished = ScoringRun.objects.get(pk=run.pk).finished_at
    assert ScoringEvent.objects.filter(run=run).count() == 1

    # a redelivery (acks_late) finds the run done and changes nothing
    assert tasks.scoring_run_task(run.pk) == "done"
    assert ScoringRun.objects.get(pk=run.pk).finished_at == finished
    assert ScoringEvent.objects.filter(run=run).count() == 1
    assert ScoreChange.objects.filter(run=run, field="lifecycle").count() == 1


def test_a_failed_run_is_marked_failed_and_frees_the_slot(db, monkeypatch):
    from segmentation.scoring import services

    def explode(*, run):
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "_scores_compute", explode)
    run = scoring_run_start(as_of=AS_OF)
    with pytest.raises(RuntimeError):
        tasks.scoring_run_task(run.pk)
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED
    assert "boom" in run.error
    assert tasks.scoring_run_task(run.pk) == "failed"  # not retried by a redelivery
    scoring_run_start(as_of=AS_OF)  # the slot is free again


def test_nightly_task_starts_and_finishes_a_run_or_skips_when_one_is_active(retailer_a, place_orders):
    place_orders(retailer_a, [(weeks_ago(1), 5)])
    assert tasks.nightly_scoring_task() == "done"
    assert ScoringRun.objects.get().status == ScoringRun.Status.DONE
    scoring_run_start()
    assert tasks.nightly_scoring_task() is None
    assert ScoringRun.objects.count() == 2


def test_setup_schedules_creates_the_nightly_scoring_at_two(db):
    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task = PeriodicTask.objects.get(name="nightly-scoring")
    assert task.task == "segmentation.nightly_scoring"
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == ("2", "0", "Asia/Shanghai")
