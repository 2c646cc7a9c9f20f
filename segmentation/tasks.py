"""Celery adapters for segmentation: take ids, call one service."""

from celery import shared_task

from segmentation import services


@shared_task(name="segmentation.scoring_run", acks_late=True)
def scoring_run_task(run_id: int) -> str:
    """Safe to deliver twice: the service returns a finished run untouched."""
    return services.scoring_run_execute(run_id=run_id).status


@shared_task(name="segmentation.nightly_scoring", acks_late=True)
def nightly_scoring_task() -> str | None:
    """Beat's 02:00 run: claim the slot and score in this worker. If a run is already active (a supervisor's
    "run now"), tonight's is skipped rather than queued behind it."""
    from core.errors import ConflictError

    try:
        run = services.scoring_run_start()
    except ConflictError:
        return None
    return services.scoring_run_execute(run_id=run.pk).status
