"""Redis or, without it, its stand-ins on one machine: the Celery broker with its queues and routes, and the cache."""

from pathlib import Path

from kombu import Queue

from crm.settings.env import DATA_DIR, env
from crm.settings.web import TIME_ZONE

# Celery: Redis in production, kombu's filesystem transport on a machine with nothing but Python.
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = Path(env("BROKER_DIR", default=str(DATA_DIR / "broker")))  # the filesystem broker, without Redis


def filesystem_broker(folder: Path) -> tuple[dict, str]:
    """kombu's filesystem transport options and a file result backend under `folder`, with every folder they
    name created here: Celery refuses a result folder that does not exist, and a fresh clone has none."""
    for sub in ("out", "processed", "control", "results"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "store_processed": False,
        # kombu's default is ./control in the working directory (the repository): keep it with the broker
        "control_folder": str(folder / "control"),
    }
    # Results as files beside the broker, so a caller can wait on a task's result in every mode.
    return options, f"file://{folder / 'results'}"


if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_RESULT_BACKEND = filesystem_broker(BROKER_DIR)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Three queues, a worker each (Procfile, docker-compose.yml), so that no kind of work can starve another: an hour
# of nightly scoring or a large import never holds back a campaign's messages or a complaint's follow-up SMS.
# "sends": everything that talks to a carrier or a mail server, paced by the global send rate;
# "batch": the nightly and bulk work (scoring, points, plans, escalation sweeps, imports);
# "default": the small rest. Every task is named here (tests/crm/test_celery_queues.py enumerates them), so a
# new task has to choose; a worker started without -Q consumes all three.
CELERY_QUEUE_SENDS, CELERY_QUEUE_BATCH, CELERY_QUEUE_DEFAULT = "sends", "batch", "default"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_DEFAULT
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in ("sends", "batch", "default")]
_TASK_QUEUES = {
    CELERY_QUEUE_SENDS: [
        "campaigns.pump",
        "campaigns.start",
        "campaigns.dispatch_tick",
        "campaigns.noop",  # the dispatch benchmark's baseline runs where the sends run
        "feedback.notification_email",
        "feedback.notification_emails",
        "feedback.complaint_follow_up_sms",
    ],
    CELERY_QUEUE_BATCH: [
        "segmentation.scoring_run",
        "segmentation.nightly_scoring",
        "loyalty.points_award",
        "loyalty.points_award_catch_up",
        "loyalty.points_expire",
        "loyalty.level_recompute",
        "visits.plans_generate",
        "feedback.complaints_escalate",
        "feedback.complaints_deadlines_recompute",
        "accounts.import_job_validate",
        "accounts.import_job_commit",
        "accounts.duplicates_scan",
        "accounts.credit_grades_recompute",
        "sales.allocation_excess_refresh",
        "sales.history_partitions_maintain",
        "campaigns.send_log_retention",
    ],
    CELERY_QUEUE_DEFAULT: [
        "crm.tasks.heartbeat_task",
        "accounts.import_jobs_expire",
        "workspace.task_runs_prune",
        "cockpit.notice_emails",
    ],
}
# the cockpit's snapshots, alerts, digests and reports and the PIPL retention run with the other nightly batch work
_TASK_QUEUES[CELERY_QUEUE_BATCH] += [
    "cockpit.kpi_snapshots_refresh",
    "cockpit.kpi_alerts_check",
    "cockpit.weekly_digests",
    "cockpit.monthly_reports",
    "privacy.retention_anonymise",
]
CELERY_TASK_ROUTES = {task: {"queue": queue} for queue, tasks in _TASK_QUEUES.items() for task in tasks}

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by web, worker and beat processes on one machine, as Redis would be.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }
