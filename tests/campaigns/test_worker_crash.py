"""A real Celery worker is killed with SIGKILL half-way through a campaign — after the gateway accepted a batch,
before the worker could record it — and a new worker finishes the campaign: every recipient gets exactly one
message, counted by the fake gateway (unique keys == recipients, nobody twice), and the resend of the batch the
dead worker held is visible as raw requests the gateway deduplicated.

The broker is whatever the settings say: Redis in CI (REDIS_URL), kombu's filesystem transport otherwise. The
test plays Celery beat: it runs the minute tick (recovery of stale claims, missing send tasks) while it polls."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from campaigns.models import Campaign, Delivery
from campaigns.ratelimit import send_bucket
from campaigns.services import dispatch
from campaigns.services.ticks import dispatch_tick
from crm.celery_app import app
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import GATEWAY_SECRET, consent, sending_campaign
from tests.campaigns.factories import TemplateFactory

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 120
BATCH = 10
LEASE_SECONDS = 2


def _prepare_broker_folders() -> None:
    for folder in ("data_folder_out", "processed_folder"):
        path = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get(folder)
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
    backend = settings.CELERY_RESULT_BACKEND
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(gateway, log_path: Path, *, queue: str | None = None) -> subprocess.Popen:
    """A solo worker on every queue, or on `queue` only."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "DATABASE_URL": _database_url(),  # the test database, where this test's rows are committed
        "SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_SECRET": GATEWAY_SECRET,
        "SMS_GATEWAY_TIMEOUT": "30",
        "SEND_RATE_LIMIT": "100000",
        "SEND_BATCH_SIZE": str(BATCH),
        "SEND_LEASE_SECONDS": str(LEASE_SECONDS),
        "CONN_MAX_AGE": "0",
    }
    log = log_path.open("a")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
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
            *([f"--queues={queue}", f"--hostname={queue}@%h"] if queue else []),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def wait_for(condition, *, seconds: float, what: str, log_path: Path, step=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if step is not None:
            step()
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds}s waiting for {what}; worker log:\n{log_path.read_text()[-3000:]}")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_campaign_leaves_every_recipient_sent_exactly_once(
    gateway, route_a, county_a, supervisor_a, settings, tmp_path, through_the_broker
):
    settings.CAMPAIGNS_SENDING_LEASE_SECONDS = LEASE_SECONDS
    settings.CAMPAIGNS_PUMP_STALE_SECONDS = LEASE_SECONDS
    settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND = 100_000
    send_bucket().reset()
    _prepare_broker_folders()
    app.control.purge()  # nothing left over from an earlier run
    retailers = [consent(RetailerFactory(route=route_a)) for _ in range(RECIPIENTS)]
    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a)
    campaign = sending_campaign(template=template, retailers=retailers)
    holding = gateway.hold_after(RECIPIENTS // 2)
    log_path = tmp_path / "worker.log"

    first = start_worker(gateway, log_path)
    try:
        dispatch.pumps_enqueue(campaign_id=campaign.pk, count=2)  # autocommit: sent to the broker at once
        wait_for(
            holding.is_set, seconds=60, what="the gateway to receive half the campaign", log_path=log_path
        )
        os.kill(first.pid, signal.SIGKILL)  # the gateway has accepted a batch the worker never recorded
        first.wait(timeout=15)
    finally:
        gateway.release()
        stop(first)

    at_kill = gateway.stats()
    in_flight = Delivery.objects.filter(campaign=campaign, state=Delivery.State.SENDING).count()
    assert RECIPIENTS // 2 <= at_kill["unique_keys"] < RECIPIENTS
    assert in_flight > 0  # claimed and accepted, not recorded: the dangerous window

    second = start_worker(gateway, log_path)
    try:
        wait_for(
            lambda: Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DONE,
            seconds=60,
            what="the campaign to finish",
            log_path=log_path,
            step=lambda: dispatch_tick(journeys=False),  # what beat does every minute
        )
    finally:
        stop(second)

    stats = gateway.stats()
    assert stats["unique_keys"] == RECIPIENTS  # every recipient …
    assert stats["numbers"] == RECIPIENTS
    assert stats["max_per_number"] == 1  # … exactly once
    assert (
        stats["raw_messages"] > stats["unique_keys"]
    )  # the held batch really was sent again, and deduplicated
    rows = list(Delivery.objects.filter(campaign=campaign))
    assert {d.state for d in rows} == {Delivery.State.SENT}
    assert all(d.provider_message_id == gateway.keys[str(d.pk)] for d in rows)
    assert max(d.attempts for d in rows) == 2
