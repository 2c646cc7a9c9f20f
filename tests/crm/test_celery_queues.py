"""Every Celery task is routed by name to one of the three queues, and the Procfile and docker-compose.yml start
a worker on each: a task nobody routed would silently share a queue it was never meant for."""

from pathlib import Path

import yaml
from django.conf import settings

from crm.celery_app import app

ROOT = Path(__file__).resolve().parents[2]
QUEUES = {"sends", "batch", "default"}


def _registered_tasks() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    # Celery's own tasks, and those a test module registers for itself, are not the product's
    return {name for name in app.tasks if not name.startswith(("celery.", "tests."))}


def test_every_registered_task_has_a_route_to_a_declared_queue():
    tasks = _registered_tasks()
    assert len(tasks) >= 20  # the apps' tasks really were loaded
    routes = settings.CELERY_TASK_ROUTES
    assert sorted(tasks - set(routes)) == []  # a new task must choose its queue
    assert sorted(set(routes) - tasks) == []  # and no route names a task that no longer exists
    assert {route["queue"] for route in routes.values()} == QUEUES
    assert {queue.name for queue in settings.CELERY_TASK_QUEUES} == QUEUES


def test_sends_and_nightly_work_are_on_separate_queues():
    queue = {name: app.amqp.router.route({}, name)["queue"].name for name in _registered_tasks()}
    assert queue["campaigns.pump"] == queue["feedback.complaint_follow_up_sms"] == "sends"
    assert queue["segmentation.nightly_scoring"] == queue["loyalty.points_award"] == "batch"
    assert queue["visits.plans_generate"] == queue["feedback.complaints_escalate"] == "batch"
    assert queue["accounts.import_job_commit"] == "batch"
    assert queue["crm.tasks.heartbeat_task"] == "default"


def _consumed_queues(command: str) -> list[str]:
    words = command.split()
    return [queue for i, word in enumerate(words[:-1]) if word == "-Q" for queue in words[i + 1].split(",")]


def test_the_procfile_and_compose_start_a_worker_on_every_queue():
    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for commands in (procfile.values(), [service.get("command", "") for service in compose.values()]):
        workers = [c for c in commands if isinstance(c, str) and " worker " in c]
        # one worker per queue, none on two (a worker on every queue would mix sends with batch work)
        assert sorted(queue for c in workers for queue in _consumed_queues(c)) == sorted(QUEUES)
        assert all(len(_consumed_queues(c)) == 1 for c in workers)
