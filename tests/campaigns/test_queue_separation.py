"""Sends and nightly work run on separate Celery queues, each with its own worker: a campaign's messages all leave
while a scoring run holds the batch worker. Real worker processes on the configured broker (Redis in CI, kombu's
filesystem transport otherwise); the scoring run is held by a row lock another connection keeps on it, so the
batch worker is really inside the task, waiting in PostgreSQL, for as long as the test wants."""

import time

import psycopg2
import pytest
from django.db import connection

from bench.runner import database_url
from bench.workers import broker_folders_prepare, celery_processes_stop
from campaigns.models import Campaign
from campaigns.services.sending import send_tasks_enqueue
from crm.celery_app import app
from segmentation.scoring.models import ScoringRun
from segmentation.scoring.services import scoring_run_start
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import consent, sending_campaign
from tests.campaigns.factories import TemplateFactory
from tests.campaigns.test_worker_crash import start_worker, wait_for

RECIPIENTS = 40
SEND_WITHIN_SECONDS = 20

_WAITING_ON_THE_RUN_SQL = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%%segmentation_scoringrun%%'
  AND pid <> pg_backend_pid()"""


def _waiting_on_the_run() -> int:
    with connection.cursor() as cursor:
        cursor.execute(_WAITING_ON_THE_RUN_SQL)
        return cursor.fetchone()[0]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_campaign_is_sent_on_time_while_a_scoring_run_holds_the_batch_worker(
    gateway, route_a, county_a, supervisor_a, tmp_path, through_the_broker
):
    broker_folders_prepare()
    app.control.purge()
    log_path = tmp_path / "workers.log"
    holder = psycopg2.connect(database_url())
    batch = start_worker(gateway, log_path, queue="batch")
    sends = start_worker(gateway, log_path, queue="sends")
    try:
        run = scoring_run_start(user=supervisor_a, enqueue=True)  # what "run now" does
        with holder.cursor() as cursor:  # psycopg2 opens a transaction: the lock stays until rollback
            cursor.execute("SELECT id FROM segmentation_scoringrun WHERE id = %s FOR UPDATE", [run.pk])
        wait_for(
            _waiting_on_the_run,
            seconds=60,
            what="the batch worker to start the scoring run",
            log_path=log_path,
        )

        retailers = [consent(RetailerFactory(route=route_a)) for _ in range(RECIPIENTS)]
        template = TemplateFactory(org_unit=county_a, created_by=supervisor_a)
        campaign = sending_campaign(template=template, retailers=retailers)
        started = time.monotonic()
        send_tasks_enqueue(campaign_id=campaign.pk, count=1)  # autocommit: to the broker at once
        wait_for(
            lambda: Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DONE,
            seconds=SEND_WITHIN_SECONDS,
            what="the campaign to be sent while the scoring run holds the batch worker",
            log_path=log_path,
        )
        took = time.monotonic() - started

        assert gateway.stats()["unique_keys"] == RECIPIENTS
        # all along, the batch worker was inside the scoring task, waiting on the lock
        assert _waiting_on_the_run() == 1
        assert ScoringRun.objects.get(pk=run.pk).status == ScoringRun.Status.QUEUED
        assert took < SEND_WITHIN_SECONDS

        holder.rollback()  # the run goes on, on its own worker, and finishes
        wait_for(
            lambda: ScoringRun.objects.get(pk=run.pk).status == ScoringRun.Status.DONE,
            seconds=60,
            what="the scoring run to finish once released",
            log_path=log_path,
        )
    finally:
        holder.close()
        celery_processes_stop(sends, batch)
