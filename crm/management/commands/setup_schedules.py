"""Create the periodic schedules in django-celery-beat's tables that do not exist yet (run at every start).

A schedule that exists is never changed: an administrator may have edited its time, disabled it or changed its
arguments in the admin, and a restart must not undo that. `--reset NAME` puts one schedule back to the default
below, on purpose."""

from django.core.management.base import BaseCommand
from django_celery_beat.models import CrontabSchedule, PeriodicTask

# name -> (task, crontab fields, why)
SCHEDULES = {
    "import-jobs-expire": (
        "accounts.import_jobs_expire",
        {"minute": "15", "hour": "3"},
        "03:15 nightly: cancel import previews left unconfirmed for 7 days and drop their staging tables",
    ),
    "duplicates-scan": (
        "accounts.duplicates_scan",
        {"minute": "30", "hour": "1"},
        "01:30 nightly: find retailers that look like duplicates (same phone, similar name and address) for review",
    ),
    "nightly-scoring": (
        "segmentation.nightly_scoring",
        {"minute": "0", "hour": "2"},
        "02:00 nightly, after the day's order imports: re-score every retailer (RFM, lifecycle, value, loyalty)",
    ),
    "campaigns-dispatch-tick": (
        "campaigns.dispatch_tick",
        {"minute": "*", "hour": "*"},
        "every minute: start due campaigns and journeys, resend what a dead worker left sending (same idempotency "
        "key), restart missing send tasks, close drained campaigns; schedules live in the database",
    ),
    "order-history-partitions": (
        "sales.history_partitions_maintain",
        {"minute": "5", "hour": "4"},
        "04:05 nightly: make the order history's month partitions up to 3 months ahead (imports and the demo make "
        "the months they write anyway), warn of rows in a DEFAULT partition, archive months past "
        "ORDER_RETENTION_YEARS",
    ),
    "campaigns-send-log-retention": (
        "campaigns.send_log_retention",
        {"minute": "45", "hour": "3"},
        "03:45 nightly: delete send logs and SMS replies older than SEND_LOG_RETENTION_DAYS (at least 5 months, MIIT)",
    ),
    "loyalty-points-expire": (
        "loyalty.points_expire",
        {"minute": "20", "hour": "0"},
        "00:20 nightly, just after midnight: expire the points whose date has passed (once per lot) and raise the "
        "'points expiring soon' events campaigns send notices for",
    ),
    "loyalty-award-catch-up": (
        "loyalty.points_award_catch_up",
        {"minute": "10", "hour": "1"},
        "01:10 nightly: award any order not awarded yet (loaded without an import, or its task lost); "
        "exactly once by the ledger's uniqueness",
    ),
    "loyalty-level-recompute": (
        "loyalty.level_recompute",
        {"minute": "40", "hour": "2"},
        "02:40 nightly, after the day's imports: membership levels from the rolling 12 months' purchases",
    ),
    "credit-grades-recompute": (
        "accounts.credit_grades_recompute",
        {"minute": "5", "hour": "3"},
        "03:05 nightly: credit grades from violations under the active rule (violations age out of the window, "
        "clean months lift grades) in one set-based UPDATE",
    ),
    "allocation-excess-refresh": (
        "sales.allocation_excess_refresh",
        {"minute": "50", "hour": "1"},
        "01:50 nightly, after the day's order imports: re-check this and last cycle's order lines against the "
        "published allocation limits (re-imported orders with changed lines are caught here)",
    ),
    "visits-plans-generate": (
        "visits.plans_generate",
        {"minute": "50", "hour": "2"},
        "02:50 nightly, after scoring (value classes feed the frequency): plan this and next week's shop visits; "
        "idempotent (one plan per shop and week)",
    ),
    "privacy-retention": (
        "privacy.retention_anonymise",
        {"minute": "10", "hour": "4"},
        "04:10 nightly: anonymise the personal data of retailers closed longer than PRIVACY_CLOSED_RETENTION_DAYS "
        "(PIPL: no longer than needed), each with its statement of what was kept and why",
    ),
    "feedback-complaints-escalate": (
        "feedback.complaints_escalate",
        {"minute": "*/5", "hour": "*"},
        "every 5 minutes: escalate complaints past their response or resolution deadline to the supervisor, "
        "once per breach (a claim row per complaint, deadline and reopen cycle)",
    ),
    "feedback-deadlines-recompute": (
        "feedback.complaints_deadlines_recompute",
        {"minute": "35", "hour": "0"},
        "00:35 nightly: once the holidays library covers a new year (State Council notice), replace the complaint "
        "deadlines that were provisional for it and clear their flag; changes nothing until then (idempotent)",
    ),
    "workspace-task-runs-prune": (
        "workspace.task_runs_prune",
        {"minute": "20", "hour": "4"},
        "04:20 nightly: drop the periodic tasks' run records (the admin home's run log) older than 30 days",
    ),
    "cockpit-kpi-refresh": (
        "cockpit.kpi_snapshots_refresh",
        {"minute": "20", "hour": "*"},
        "hourly at :20: the cockpit's KPI snapshots of this and last week and month for every unit and manager "
        "(from the summaries and scores the other jobs keep), then the targets judged: one alert per crossing",
    ),
    "cockpit-weekly-digest": (
        "cockpit.weekly_digests",
        {"minute": "30", "hour": "7", "day_of_week": "1"},
        "Mondays 07:30, after the night's scoring and the 07:20 refresh: each supervisor's weekly digest "
        "(in-app and email); once per supervisor and week",
    ),
    "cockpit-monthly-reports": (
        "cockpit.monthly_reports",
        {"minute": "40", "hour": "6", "day_of_month": "1"},
        "the 1st at 06:40: last month's operating-analysis report of the company and each county bureau, "
        "each supervisor told",
    ),
    "healthcheck-broker": (
        "crm.tasks.heartbeat_task",
        {"minute": "*/5", "hour": "*"},
        "every 5 minutes: proves worker and beat are alive; the last beat is shown on the admin dashboard",
    ),
}


class Command(BaseCommand):
    help = (
        "Create the periodic task schedules that are missing; existing ones (perhaps edited in the admin) are kept "
        "as they are. --reset NAME restores one schedule's default."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="append",
            default=[],
            metavar="NAME",
            choices=sorted(SCHEDULES),
            help="put this schedule back to its default (task, time, description, enabled); repeatable",
        )

    def handle(self, *args, reset=(), **options):
        for name, (task, cron, why) in SCHEDULES.items():
            if name in reset:
                PeriodicTask.objects.update_or_create(
                    name=name,
                    defaults={
                        "task": task,
                        "crontab": _crontab(cron),
                        "description": why,
                        "enabled": True,
                        "args": "[]",
                        "kwargs": "{}",
                    },
                )
                self.stdout.write(f"reset schedule {name}: {why}")
            elif PeriodicTask.objects.filter(name=name).exists():
                self.stdout.write(f"kept schedule {name} as it is (edit it in the admin, or --reset {name})")
            else:
                PeriodicTask.objects.create(name=name, task=task, crontab=_crontab(cron), description=why)
                self.stdout.write(f"created schedule {name}: {why}")


def _crontab(cron: dict) -> CrontabSchedule:
    schedule, _created = CrontabSchedule.objects.get_or_create(timezone="Asia/Shanghai", **cron)
    return schedule
