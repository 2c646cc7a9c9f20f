"""Celery processes of this project started from Python: the one command line for a worker (and for beat) that the
benchmarks and the tests needing a real worker share. Each caller passes only what differs — the queue, the pool,
the host name, the environment (database, gateway, limits) and where the output goes.

The Procfile (and so `make run` and production) states the same workers for people; this module is for code that
starts them itself and must stop them again."""

import subprocess
import sys
from pathlib import Path
from typing import IO

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# a worker started by code is measured or killed on purpose: no heartbeats, gossip or mingle to slow its start or
# to keep a dead worker's siblings waiting for it
_QUIET = ("--without-heartbeat", "--without-gossip", "--without-mingle")


def broker_folders_prepare() -> None:
    """The folders kombu's filesystem transport and the file result backend need (without Redis they are not
    created for us); nothing to do on Redis."""
    for folder in ("data_folder_out", "processed_folder"):
        path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
    backend = settings.CELERY_RESULT_BACKEND
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


def _celery(arguments: list[str], *, env: dict, output: IO | int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "celery", "-A", "crm", *arguments],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,  # what a caller reads from a pipe is the log as text
    )


def celery_worker_start(
    *,
    env: dict,
    output: IO | int,
    queue: str | None = None,
    hostname: str | None = None,
    threads: int = 0,
    loglevel: str = "warning",
) -> subprocess.Popen:
    """A `celery worker` process with `env` as its whole environment, writing to `output` (a file, or
    subprocess.PIPE). On every queue, or on `queue` only; one process (solo pool), or `threads` threads. The host
    name defaults to `<queue>@%h` for a one-queue worker, so two workers on one machine do not share a name."""
    pool = ["--pool=threads", f"--concurrency={threads}"] if threads else ["--pool=solo"]
    if hostname is None and queue:
        hostname = f"{queue}@%h"
    return _celery(
        [
            "worker",
            *pool,
            f"--loglevel={loglevel}",
            *_QUIET,
            *([f"--queues={queue}"] if queue else []),
            *([f"--hostname={hostname}"] if hostname else []),
        ],
        env=env,
        output=output,
    )


def celery_beat_start(*, env: dict, output: IO | int, loglevel: str = "warning") -> subprocess.Popen:
    """`celery beat` with django-celery-beat's scheduler (the schedules in the database), no pid file."""
    return _celery(
        [
            "beat",
            f"--loglevel={loglevel}",
            "--scheduler=django_celery_beat.schedulers:DatabaseScheduler",
            "--pidfile=",
        ],
        env=env,
        output=output,
    )


def celery_processes_stop(*processes: subprocess.Popen | None, timeout: float = 15) -> None:
    """Ask every process still running to stop (SIGTERM: a worker finishes its task), then kill whichever has not
    within `timeout` seconds."""
    running = [p for p in processes if p is not None and p.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)
