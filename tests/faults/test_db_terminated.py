"""PostgreSQL connections terminated (`pg_terminate_backend`, from a second connection) in the middle of the
writes that matter: an import commit, a scoring run, a points award and an escalation sweep. Each either completes
when it runs again (what the task's redelivery or the nightly catch-up does) or leaves no half-write: the counts
and the ledger sums are checked after the cut and after the retry.

"In the middle" is made exact, not a race: a third connection holds a lock the operation needs half-way (a row
its UPDATE reaches after its first INSERTs, or a uniqueness claim its INSERT … ON CONFLICT must wait on); the
watcher sees the operation's backend waiting on that lock (pg_stat_activity), terminates it, then lets go.

The web part: a gunicorn process holding its persistent connection (CONN_MAX_AGE) has every backend terminated,
and the very next request is served, not a 500: Django's CONN_HEALTH_CHECKS (on in crm/settings/web.py) checks a
reused connection at the start of each request and reconnects; without it that request would fail."""

import datetime
import threading
import time

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError, connection
from django.db.models import Sum

from accounts.imports.models import ImportJob
from accounts.imports.services import import_job_commit
from accounts.models import Retailer
from feedback.complaints.models import ComplaintEscalation, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.escalation import complaints_escalate
from loyalty.earning.services import points_award
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot
from segmentation.scoring.models import RetailerScore, ScoreChange, ScoringRun
from segmentation.scoring.services import scoring_run_execute, scoring_run_start
from tests.accounts.factories import RetailerFactory
from tests.feedback.conftest import local
from tests.feedback.factories import open_complaint
from tests.imports.helpers import csv_bytes, retailer_row, run_import, validated_job
from tests.loyalty.conftest import ORDER_DAY
from tests.servers import dsn_of, gunicorn

WAIT_SECONDS = 60


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def cut_off_mid_way(operation, *, blocker_sql: str, params=()) -> dict:
    """Run `operation` in this thread while another connection holds what it needs half-way; once its backend
    waits on that lock, terminate the backend from a second connection and release the lock. Returns what
    happened: the error the operation raised (None if it handled the cut itself) and its return value."""
    victim = _backend_pid()
    blocker = psycopg2.connect(dsn_of(connection))
    blocker.cursor().execute(blocker_sql, params)  # held in an open transaction
    terminated = threading.Event()

    def watch():
        watcher = psycopg2.connect(dsn_of(connection))
        watcher.autocommit = True
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            with watcher.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [victim])
                    row = cursor.fetchone()
                    if row and row[0] == "Lock":
                        cursor.execute("SELECT pg_terminate_backend(%s)", [victim])
                        terminated.set()
                        break
                    time.sleep(0.02)
        finally:
            blocker.rollback()
            blocker.close()
            watcher.close()

    thread = threading.Thread(target=watch)
    thread.start()
    outcome = {"error": None, "result": None}
    try:
        outcome["result"] = operation()
    except (OperationalError, InterfaceError) as exc:
        outcome["error"] = exc
    thread.join()
    assert terminated.is_set(), "the operation never waited on the held lock: nothing was cut off"
    return outcome


# ---- points award -------------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_points_award_cut_off_writes_no_entry_and_completes_on_retry(
    route_a, place_order, carton_rule, levels
):
    from loyalty.ledger.services import account_lock, credit

    shops = [RetailerFactory(route=route_a) for _ in range(3)]
    orders = [place_order(shop, {"ZH": 2, "SX": 10}) for shop in shops]  # 12 cartons: 12 points each
    from django.db import transaction

    with transaction.atomic():  # the last shop already has an account holding 5 points
        account = account_lock(retailer_id=shops[-1].pk)
        credit(
            account=account, kind=PointsEntry.Kind.ADJUST, points=5, expires_on=datetime.date(2099, 12, 31)
        )
    first, last = orders[0].pk, orders[-1].pk

    outcome = cut_off_mid_way(
        lambda: points_award(first_order_id=first, last_order_id=last),
        # the award inserts every entry and lot, then reaches this account's balance UPDATE and waits
        blocker_sql="SELECT id FROM loyalty_pointsaccount WHERE retailer_id = %s FOR UPDATE",
        params=[shops[-1].pk],
    )

    assert outcome["error"] is not None
    assert not PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN).exists()  # no half-write …
    assert PointsLot.objects.count() == 1
    assert PointsAccount.objects.aggregate(s=Sum("balance"))["s"] == 5  # … and the ledger still adds up

    retried = points_award(first_order_id=first, last_order_id=last)  # the task again (acks_late)
    assert (retried["entries"], retried["points"]) == (3, 36)
    assert points_award()["entries"] == 0  # the nightly catch-up finds nothing left: exactly once
    entries = PointsEntry.objects.aggregate(s=Sum("points"))["s"]
    assert entries == PointsAccount.objects.aggregate(s=Sum("balance"))["s"] == 41
    assert PointsLot.objects.aggregate(s=Sum("remaining"))["s"] == 41


# ---- escalation sweep ---------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_escalation_sweep_cut_off_escalates_nobody_and_then_everybody_once(
    retailer_a, manager_a, supervisor_a, clock
):
    clock.set(local(2026, 11, 23, 9, 0))
    complaints = [open_complaint(retailer_a, "supply") for _ in range(3)]  # response due 14:30
    clock.set(local(2026, 11, 23, 14, 31))
    notifications_before = Notification.objects.count()

    outcome = cut_off_mid_way(
        complaints_escalate,
        # an uncommitted claim on the last complaint: the sweep's INSERT … ON CONFLICT has claimed the first two
        # when it must wait to learn whether this one is taken
        blocker_sql="INSERT INTO feedback_complaintescalation "
        "(complaint_id, breach, cycle, due_at, escalated_to_id, created_at) "
        "VALUES (%s, 'response', 0, now(), %s, now())",
        params=[complaints[-1].pk, supervisor_a.pk],
    )

    assert outcome["error"] is not None
    assert ComplaintEscalation.objects.count() == 0
    assert ComplaintEvent.objects.filter(kind="escalated").count() == 0
    assert Notification.objects.count() == notifications_before

    assert complaints_escalate() == 3  # beat's next run, five minutes later
    assert complaints_escalate() == 0
    assert ComplaintEscalation.objects.count() == 3
    assert ComplaintEvent.objects.filter(kind="escalated").count() == 3
    assert Notification.objects.filter(kind="escalated", recipient=supervisor_a).count() == 3


# ---- scoring run --------------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_a_scoring_run_cut_off_keeps_the_last_scores_and_the_next_run_completes(route_a, place_order):
    shops = [RetailerFactory(route=route_a) for _ in range(6)]
    for n, shop in enumerate(shops):
        for week in range(n + 2):
            place_order(shop, {"SX": 2 + n, "BS": 5}, day=ORDER_DAY - datetime.timedelta(weeks=week))
    first = scoring_run_execute(run_id=scoring_run_start(as_of=ORDER_DAY).pk)
    assert first.status == ScoringRun.Status.DONE
    history_before = ScoreChange.objects.count()
    scores_before = sorted(RetailerScore.objects.values_list("retailer_id", "run_id", "recency_days"))

    later = ORDER_DAY + datetime.timedelta(days=200)  # every recency changes: the run writes history first
    run = scoring_run_start(as_of=later)
    outcome = cut_off_mid_way(
        lambda: scoring_run_execute(run_id=run.pk),
        blocker_sql="SELECT 1 FROM segmentation_retailerscore WHERE retailer_id = %s FOR UPDATE",
        params=[shops[-1].pk],
    )

    assert outcome["error"] is not None
    run.refresh_from_db()
    assert run.status == ScoringRun.Status.FAILED  # said so, with the reason
    assert "terminat" in run.error.lower() or "connection" in run.error.lower()
    assert ScoreChange.objects.count() == history_before  # no half-written history …
    assert sorted(RetailerScore.objects.values_list("retailer_id", "run_id", "recency_days")) == scores_before

    retry = scoring_run_execute(
        run_id=scoring_run_start(as_of=later).pk
    )  # the next run (nightly, or "run now")
    assert retry.status == ScoringRun.Status.DONE
    assert set(RetailerScore.objects.values_list("run_id", flat=True)) == {retry.pk}
    assert RetailerScore.objects.count() == len(shops)
    assert ScoreChange.objects.count() > history_before


# ---- import commit ------------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_an_import_commit_cut_off_writes_no_row_and_commits_on_retry(county_a_world):
    user = county_a_world
    run_import(user=user, content=csv_bytes([retailer_row(n) for n in range(1, 11)]))
    assert Retailer.objects.count() == 10
    changed = [retailer_row(n, 店铺名称=f"新名{n}号店") for n in range(1, 21)]  # 10 updates, 10 new shops
    job = validated_job(user=user, content=csv_bytes(changed))
    assert (job.status, job.valid_rows) == (ImportJob.Status.VALIDATED, 20)

    outcome = cut_off_mid_way(
        lambda: import_job_commit(job_id=job.pk, user=user, enqueue=False),
        # the upsert walks the file in row order: rows 1–4 written when it reaches row 5's locked shop
        blocker_sql="SELECT id FROM accounts_retailer WHERE licence_no = %s FOR UPDATE",
        params=[retailer_row(5)["许可证号"]],
    )

    job.refresh_from_db()
    assert (
        job.status == ImportJob.Status.VALIDATED
    )  # back where it was, with the reason, ready to commit again
    assert job.message
    assert Retailer.objects.count() == 10
    assert not Retailer.objects.filter(shop_name__startswith="新名").exists()
    assert outcome["error"] is not None  # and the task fails loudly, the job saying why

    done = import_job_commit(job_id=job.pk, user=user, enqueue=False)
    done.refresh_from_db()
    assert (done.status, done.created_count, done.updated_count) == (ImportJob.Status.DONE, 10, 10)
    assert Retailer.objects.filter(shop_name__startswith="新名").count() == 20


# ---- the web process ----------------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_the_web_process_serves_pages_again_after_its_connections_were_terminated(manager_a, retailer_a):
    from django.conf import settings

    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0  # connections are kept: the case to survive
    manager_a.set_password("load-test-pass")
    manager_a.save(update_fields=["password"])
    with gunicorn(workers=1, threads=1, extra_env={"CONN_MAX_AGE": "600"}) as server:
        session = server.login("manager_a", "load-test-pass")
        assert session.get(server.url(f"/retailers/{retailer_a.pk}/")).status_code == 200
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            assert cursor.fetchone()[0] >= 1  # the web worker's kept connection
        # the first request after the cut is served (a health check found the dead connection), and so are later ones
        for path in (f"/retailers/{retailer_a.pk}/", "/retailers/", "/healthz"):
            answer = session.get(server.url(path))
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
