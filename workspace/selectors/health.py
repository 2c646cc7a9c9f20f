"""The administrator's home (`admin_health`): beat and worker, each periodic task's last run (workspace.TaskRun,
written by the Celery hooks in crm.celery_app), failures in the last 24 h, imports and scoring runs in progress,
queue lengths, the database size and the read replica's lag (core.replica)."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    F,
    OuterRef,
    Subquery,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.replica import ReplicaStatus, replica_status

User = get_user_model()


HEARTBEAT_KEY = "crm:worker-heartbeat"  # written by crm.tasks.heartbeat_task (every 5 minutes by beat)


# --- the administrator's home ------------------------------------------------------------------------------------
FAILURE_WINDOW = datetime.timedelta(hours=24)
BEAT_STALE_AFTER = datetime.timedelta(minutes=10)  # the heartbeat schedule runs every 5 minutes


@dataclass
class ScheduleRow:
    name: str
    task: str
    enabled: bool
    schedule: str
    last_sent_at: datetime.datetime | None  # when beat last sent it (django-celery-beat)
    last_run: dict | None  # its last recorded run (TaskRun): started_at, duration_ms, outcome, error
    admin_url_id: int


@dataclass
class AdminHealth:
    now: datetime.datetime
    beat_last_sent_at: datetime.datetime | None
    worker_heartbeat_at: datetime.datetime | None
    schedules: list[ScheduleRow]
    failures: list[dict]
    imports_running: list[dict]
    scoring_running: list[dict]
    queues: list[dict]
    queues_note: str
    database_size: str
    replica: ReplicaStatus

    @property
    def beat_stale(self) -> bool:
        return self.beat_last_sent_at is None or self.now - self.beat_last_sent_at > BEAT_STALE_AFTER

    @property
    def worker_stale(self) -> bool:
        return self.worker_heartbeat_at is None or self.now - self.worker_heartbeat_at > BEAT_STALE_AFTER


def duration_text(ms: int | None) -> str:
    """420 ms, 42.0 s, 3 min 05 s, 1 h 02 min."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms} ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def queue_lengths(*, celery_app) -> tuple[list[dict], str]:
    """Messages waiting in each queue the workers consume, asked of the broker (a passive queue declare, which
    Redis, AMQP and kombu's filesystem transport all answer). ([], why) when the broker cannot be asked."""
    names = sorted(celery_app.amqp.queues.keys()) or [celery_app.conf.task_default_queue]
    rows = []
    try:
        with celery_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            for name in names:
                try:
                    declared = channel.queue_declare(queue=name, passive=True)
                    rows.append({"name": name, "messages": declared.message_count})
                except Exception as exc:  # a queue nobody declared yet holds nothing
                    rows.append({"name": name, "messages": None, "error": exc.__class__.__name__})
    except Exception as exc:
        return [], f"{exc.__class__.__name__}: {exc}"
    return rows, ""


def admin_health(*, celery_app, heartbeat: str | None, now: datetime.datetime | None = None) -> AdminHealth:
    """Everything on the administrator's home. `heartbeat` is the worker's last heartbeat (ISO time, from the
    cache key HEARTBEAT_KEY); `celery_app` the configured Celery app, asked for the queue lengths."""
    from django_celery_beat.models import PeriodicTask

    from accounts.imports.models import ImportJob
    from segmentation.scoring.models import ScoringRun
    from workspace.models import TaskRun

    now = now or timezone.now()
    last_run = TaskRun.objects.filter(periodic_task_name=OuterRef("name")).order_by("-started_at", "-id")
    tasks = list(
        PeriodicTask.objects.select_related("crontab", "interval")
        .annotate(
            run_started_at=Subquery(last_run.values("started_at")[:1]),
            run_duration_ms=Subquery(last_run.values("duration_ms")[:1]),
            run_outcome=Subquery(last_run.values("outcome")[:1]),
            run_error=Subquery(last_run.values("error")[:1]),
        )
        .order_by("name")
    )
    schedules = [
        ScheduleRow(
            name=t.name,
            task=t.task,
            enabled=t.enabled,
            schedule=str(t.crontab or t.interval or t.solar or t.clocked or ""),
            last_sent_at=t.last_run_at,
            last_run=(
                {
                    "started_at": t.run_started_at,
                    "duration_ms": t.run_duration_ms,
                    "duration": duration_text(t.run_duration_ms),
                    "outcome": t.run_outcome,
                    "outcome_label": TaskRun.Outcome(t.run_outcome).label,
                    "error": t.run_error,
                }
                if t.run_started_at
                else None
            ),
            admin_url_id=t.pk,
        )
        for t in tasks
    ]
    failures = list(
        TaskRun.objects.filter(outcome=TaskRun.Outcome.FAILURE, started_at__gte=now - FAILURE_WINDOW)
        .order_by("-started_at")
        .values("id", "periodic_task_name", "task_name", "started_at", "duration_ms", "error")[:20]
    )
    for row in failures:
        row["duration"] = duration_text(row["duration_ms"])
    imports_running = list(
        ImportJob.objects.filter(
            status__in=[ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATING, ImportJob.Status.COMMITTING]
        )
        .annotate(user=F("created_by__username"))
        .order_by("-id")
        .values("id", "original_name", "kind", "status", "progress", "user")[:10]
    )
    scoring_running = list(
        ScoringRun.objects.filter(status__in=ScoringRun.ACTIVE_STATUSES)
        .order_by("-id")
        .values("id", "status", "created_at", "started_at")[:10]
    )
    for row in imports_running:
        row["status_label"] = ImportJob.Status(row["status"]).label
    for row in scoring_running:
        row["status_label"] = ScoringRun.Status(row["status"]).label
    queues, queues_note = queue_lengths(celery_app=celery_app)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        database_size = cursor.fetchone()[0]
    beat_last = max((t.last_run_at for t in tasks if t.last_run_at), default=None)
    heartbeat_at = parse_datetime(heartbeat) if heartbeat else None
    return AdminHealth(
        now=now,
        beat_last_sent_at=beat_last,
        worker_heartbeat_at=heartbeat_at,
        schedules=schedules,
        failures=failures,
        imports_running=imports_running,
        scoring_running=scoring_running,
        queues=queues,
        queues_note=queues_note,
        database_size=database_size,
        replica=replica_status(),
    )
