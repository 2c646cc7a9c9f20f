"""Project-level tasks. Each app keeps its own tasks in its tasks.py."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from workspace.selectors import HEARTBEAT_KEY

__all__ = ["HEARTBEAT_KEY", "heartbeat_task"]


@shared_task(name="crm.tasks.heartbeat_task")
def heartbeat_task() -> str:
    """Record that a worker ran a task just now (shown on the admin home; used by the worker test)."""
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp
