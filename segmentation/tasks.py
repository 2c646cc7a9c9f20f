"""Celery adapters for segmentation: take ids, call one service."""

from celery import shared_task

from segmentation.scoring.services import scoring_run_execute, scoring_run_nightly


@shared_task(name="segmentation.scoring_run", acks_late=True)
def scoring_run_task(run_id: int) -> str:
    """Safe to deliver twice: the service returns a finished run untouched."""
    return scoring_run_execute(run_id=run_id).status


@shared_task(name="segmentation.nightly_scoring", acks_late=True)
def nightly_scoring_task() -> str | None:
    """Beat's 02:00 run (None when another run was active and tonight's was skipped)."""
    run = scoring_run_nightly()
    return run.status if run else None
