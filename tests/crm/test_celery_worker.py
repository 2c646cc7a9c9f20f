"""A real Celery worker process consumes from the configured broker (Redis in CI, the filesystem otherwise)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from crm.celery_app import app
from crm.tasks import HEARTBEAT_KEY, heartbeat_task

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_process():
    for folder in ("data_folder_out", "processed_folder"):
        path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
    backend = settings.CELERY_RESULT_BACKEND
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)
    # tasks other tests sent (campaign sends enqueued on commit) must not stand between the worker and ours
    app.control.purge()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "crm",
            "worker",
            "--pool=solo",
            "--loglevel=warning",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


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
