"""Celery adapters for accounts: take ids, call one service."""

from celery import shared_task

from accounts.imports import services as import_services


@shared_task(name="accounts.import_job_validate", acks_late=True)
def import_job_validate_task(job_id: int) -> str:
    return import_services.import_job_validate(job_id=job_id).status


@shared_task(name="accounts.import_job_commit", acks_late=True)
def import_job_commit_task(job_id: int) -> str:
    return import_services.import_job_commit_run(job_id=job_id).status


@shared_task(name="accounts.duplicates_scan")
def duplicates_scan_task(scan_id: int | None = None) -> int:
    """Nightly without an id; with the id of a scan a supervisor asked for, that scan (its progress is shown)."""
    from accounts.dedupe.services import duplicates_scan, duplicates_scan_run

    if scan_id is None:
        return duplicates_scan()
    return duplicates_scan_run(scan_id=scan_id).pairs_added


@shared_task(name="accounts.import_jobs_expire")
def import_jobs_expire_task() -> int:
    return import_services.import_jobs_expire()


@shared_task(name="accounts.credit_grades_recompute", acks_late=True)
def credit_grades_recompute_task() -> int:
    """Nightly: violations leave the rolling window and clean months accrue even when nothing is recorded."""
    from accounts.compliance.services import credit_grades_recompute

    return len(credit_grades_recompute())
