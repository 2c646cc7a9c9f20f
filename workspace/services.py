"""Writes of the workspace app: the periodic tasks' run records (called by the Celery hooks in crm.celery_app)."""

import datetime

from django.utils import timezone

from workspace.models import TaskRun

RUN_RETENTION_DAYS = 30
ERROR_MAX = 500


def task_run_started(*, task_id: str, task_name: str, periodic_task_name: str = "") -> None:
    """Record that a periodic task started; a redelivered task (same id) starts its record again."""
    if not task_id:
        return
    TaskRun.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name[:200],
            "periodic_task_name": (periodic_task_name or "")[:200],
            "started_at": timezone.now(),
            "finished_at": None,
            "duration_ms": None,
            "outcome": TaskRun.Outcome.RUNNING,
            "error": "",
        },
    )


def task_run_finished(*, task_id: str, state: str, error: str = "") -> None:
    """Close the run's record: outcome from Celery's state (SUCCESS, FAILURE, RETRY), the duration, the error."""
    if not task_id:
        return
    outcome = {
        "SUCCESS": TaskRun.Outcome.SUCCESS,
        "RETRY": TaskRun.Outcome.RETRY,
    }.get(state, TaskRun.Outcome.FAILURE)
    now = timezone.now()
    run = TaskRun.objects.filter(task_id=task_id).only("pk", "started_at").first()
    if run is None:
        return
    TaskRun.objects.filter(pk=run.pk).update(
        finished_at=now,
        duration_ms=max(int((now - run.started_at).total_seconds() * 1000), 0),
        outcome=outcome,
        error=(error or "")[:ERROR_MAX] if outcome != TaskRun.Outcome.SUCCESS else "",
    )


def task_runs_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete run records older than RUN_RETENTION_DAYS (run by the heartbeat task)."""
    before = (now or timezone.now()) - datetime.timedelta(days=RUN_RETENTION_DAYS)
    deleted, _ = TaskRun.objects.filter(started_at__lt=before).delete()
    return deleted
