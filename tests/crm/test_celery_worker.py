"""A real Celery worker process consumes from the configured broker (Redis in CI, the filesystem otherwise)."""

import os
import subprocess
import time

import pytest
from django.core.cache import cache

from bench.workers import broker_folders_prepare, celery_processes_stop, celery_worker_start
from crm.celery_app import app
from crm.tasks import HEARTBEAT_KEY, heartbeat_task


@pytest.fixture
def celery_worker_process():
    broker_folders_prepare()
    # tasks other tests sent (campaign sends enqueued on commit) must not stand between the worker and ours
    app.control.purge()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"}
    process = celery_worker_start(env=env, output=subprocess.PIPE)
    yield process
    celery_processes_stop(process)


@pytest.mark.celery
def test_worker_runs_a_task_sent_through_the_broker(celery_worker_process):
    from celery.exceptions import TimeoutError as CeleryTimeout

    cache.delete(HEARTBEAT_KEY)
    result = heartbeat_task.delay()
    try:
        # Waits on the task's result in the result backend (Redis, or files beside the filesystem broker).
        stamp = result.get(timeout=60)
    except CeleryTimeout:
        celery_worker_process.terminate()
        output = celery_worker_process.communicate(timeout=15)[0]
        pytest.fail(f"the worker did not run the task within 60 s; worker output:\n{output[-3000:]}")
    # the task's effect is visible to this process too: the cache is shared like the database
    assert cache.get(HEARTBEAT_KEY) == stamp
    assert stamp.startswith(str(time.gmtime().tm_year))
