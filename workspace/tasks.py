"""Timed jobs of the workspace app."""

from celery import shared_task

from workspace.services import task_runs_prune


@shared_task(name="workspace.task_runs_prune")
def task_runs_prune_task() -> int:
    """Drop the periodic tasks' run records older than their retention (workspace.services.RUN_RETENTION_DAYS)."""
    return task_runs_prune()
