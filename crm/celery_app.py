"""Celery configured from Django settings (CELERY_ namespace); tasks are found in each app's tasks.py.

Every run of a task beat started (it carries the `periodic_task_name` header) is recorded as a
workspace.TaskRun — start, end, duration, outcome, error — for the administrator's home. Tasks not started by
beat (sends, imports) are not recorded here: they keep their own records."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings.dev")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _periodic_name(task) -> str:
    """The schedule's name beat put in the message headers: on a worker the headers are the request's fields;
    a task applied in process (apply(headers=…)) carries them under `headers`."""
    request = getattr(task, "request", None)
    if request is None:
        return ""
    return request.get("periodic_task_name") or (request.get("headers") or {}).get("periodic_task_name") or ""


@task_prerun.connect
def _task_run_started(sender=None, task_id=None, task=None, **kwargs):
    name = _periodic_name(task)
    if not name:
        return
    from workspace.services import task_run_started

    task_run_started(task_id=task_id, task_name=getattr(task, "name", "") or "", periodic_task_name=name)


@task_postrun.connect
def _task_run_finished(sender=None, task_id=None, task=None, retval=None, state=None, **kwargs):
    if not _periodic_name(task):
        return
    from workspace.services import task_run_finished

    error = f"{retval.__class__.__name__}: {retval}" if isinstance(retval, BaseException) else ""
    task_run_finished(task_id=task_id, state=state or "", error=error)
