"""Thin Celery adapters: call one service. Idempotence lives in the services."""

from celery import shared_task

from cockpit.services.digest import weekly_digests_send
from cockpit.services.notices import notice_emails_send
from cockpit.services.reports import monthly_reports_generate
from cockpit.services.snapshots import kpis_refresh_hourly
from cockpit.services.targets import kpi_alerts_check


@shared_task(name="cockpit.kpi_snapshots_refresh", acks_late=True)
def kpi_snapshots_refresh_task() -> int:
    """Beat, hourly: this and last week's and month's KPIs of every unit and manager; then judge the targets."""
    return kpis_refresh_hourly()


@shared_task(name="cockpit.kpi_alerts_check", acks_late=True)
def kpi_alerts_check_task() -> dict:
    return kpi_alerts_check()


@shared_task(name="cockpit.weekly_digests", acks_late=True)
def weekly_digests_task() -> int:
    return weekly_digests_send()


@shared_task(name="cockpit.monthly_reports", acks_late=True)
def monthly_reports_task() -> int:
    return monthly_reports_generate()


@shared_task(
    name="cockpit.notice_emails",
    acks_late=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def notice_emails_task(notice_ids: list[int]) -> int:
    """Email each notice once (claimed by `emailed_at`); a refused one is given back and the batch retried."""
    return notice_emails_send(notice_ids=notice_ids)
