"""Celery beat down for an hour, then back: each periodic job catches up exactly once — no double escalation, no
double expiry, no skipped day of plans, one occurrence of a recurring campaign however many of its times passed.

Beat itself does not replay missed runs (django-celery-beat runs a crontab entry once when it is next due), so
what must hold is the jobs' own idempotence: every task of every schedule in `setup_schedules` is run twice for
the same period on a small world and the second run writes nothing; and the missed hour is played with the clock
(the `clock` fixture, as the feedback tests freeze it) or the time the job is given as an argument."""

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.ticks import dispatch_tick
from crm.celery_app import app
from crm.management.commands.setup_schedules import SCHEDULES
from feedback.complaints.models import ComplaintEscalation, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.escalation import complaints_escalate
from loyalty.ledger.expiry import points_expire
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot
from loyalty.ledger.services import account_lock, credit
from segmentation.segments.services import segment_create
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import consent
from tests.campaigns.factories import TemplateFactory
from tests.feedback.conftest import local
from tests.feedback.factories import open_complaint
from tests.loyalty.conftest import ORDER_DAY
from tests.users.factories import SupervisorFactory
from visits.models import VisitPlan
from visits.plans.services import plans_generate

# Models a run of the task may add a row to every time it runs, by design (a record of the run itself).
RUN_RECORDS = {
    "segmentation.nightly_scoring": {
        "segmentation.scoringrun": "each nightly run is recorded (its parameters, timings and AUC) even when "
        "nothing changed since the last",
    },
}


def _counts() -> dict[str, int]:
    """Rows of every table of ours (and the beat tables): what a repeated run must not add to."""
    counts = {}
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')  # noqa: S608 - our table names
            counts[model._meta.label_lower] = cursor.fetchone()[0]
    return counts


def _ledger() -> tuple[int, int, int]:
    return (
        PointsEntry.objects.aggregate(s=Sum("points"))["s"] or 0,
        PointsAccount.objects.aggregate(s=Sum("balance"))["s"] or 0,
        PointsLot.objects.aggregate(s=Sum("remaining"))["s"] or 0,
    )


@pytest.fixture
def world(route_a, retailer_a, supervisor_a, county_a, manager_a, place_order, carton_rule, levels, clock):
    """A little of everything the nightly and frequent jobs act on, on a Tuesday morning in 2027."""
    clock.set(local(2027, 1, 5, 9, 0))
    shops = [consent(RetailerFactory(route=route_a, tier=20 + n)) for n in range(4)]
    for n, shop in enumerate(shops):
        place_order(shop, {"ZH": 1 + n, "SX": 5}, day=ORDER_DAY)  # earned in 2025: expires end of 2026
        place_order(shop, {"SX": 3}, day=datetime.date(2026, 12, 28))
    from django.db import transaction

    with transaction.atomic():
        account = account_lock(retailer_id=retailer_a.pk)
        credit(
            account=account, kind=PointsEntry.Kind.ADJUST, points=40, expires_on=datetime.date(2026, 12, 31)
        )
    clock.set(local(2027, 1, 4, 9, 0))
    open_complaint(shops[0], "supply")  # response due Monday 14:30: breached by Tuesday
    clock.set(local(2027, 1, 5, 9, 0))
    approver = SupervisorFactory(username="supervisor_a2", org_unit=county_a)
    segment = segment_create(
        user=supervisor_a, name="老城全部", org_unit=county_a, definition={"op": "and", "rules": []}
    )
    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a)
    campaign = Campaign.objects.create(
        name="每周提醒",
        org_unit=county_a,
        segment=segment,
        template=template,
        holdout_pct=0,
        quiet_start=None,
        quiet_end=None,
        schedule_kind=Campaign.ScheduleKind.CRON,
        cron="0 * * * *",
        state=Campaign.State.APPROVED,
        created_by=supervisor_a,
        approved_by=approver,
    )
    campaign_schedule(actor=supervisor_a, campaign=campaign)
    return {"shops": shops, "campaign": campaign}


@pytest.mark.django_db
def test_every_periodic_task_run_twice_for_the_same_period_writes_nothing_the_second_time(world, clock):
    app.loader.import_default_modules()
    clock.set(local(2027, 1, 5, 10, 0, 30))
    assert len(SCHEDULES) >= 14
    for name, (task_name, _cron, _why) in SCHEDULES.items():
        task = app.tasks[task_name]
        task.apply(throw=True)
        after_first, ledger_first = _counts(), _ledger()
        task.apply(throw=True)
        after_second, ledger_second = _counts(), _ledger()
        allowed = RUN_RECORDS.get(task_name, {})
        grew = {
            label: (after_first[label], after_second[label])
            for label in after_second
            if after_second[label] != after_first[label] and label not in allowed
        }
        assert not grew, f"{name} ({task_name}) wrote again on a second run for the same period: {grew}"
        assert ledger_second == ledger_first, f"{name} moved points on its second run"
    # and the world really was acted on (so the second runs had something to repeat)
    assert ComplaintEscalation.objects.count() == 1
    # the 40 points that ended with 2026 (the 2025 orders' points are awarded by the catch-up, which runs after the
    # expiry in this loop: they expire on the next night's run)
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE).count() == 1
    assert Campaign.objects.filter(parent=world["campaign"]).count() == 1
    assert VisitPlan.objects.exists()
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN).count() == 8


# ---- the missed hour, job by job ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_escalation_after_an_hour_without_beat_escalates_each_breach_once(retailer_a, supervisor_a, clock):
    clock.set(local(2026, 11, 23, 9, 0))
    complaints = [open_complaint(retailer_a, "supply") for _ in range(3)]  # response due 14:30
    clock.set(local(2026, 11, 23, 14, 0))
    assert complaints_escalate() == 0  # the last sweep before beat went down
    clock.set(local(2026, 11, 23, 15, 0))  # twelve sweeps missed
    assert complaints_escalate() == len(complaints)
    clock.set(local(2026, 11, 23, 15, 5))
    assert complaints_escalate() == 0
    assert ComplaintEscalation.objects.count() == len(complaints)
    assert ComplaintEvent.objects.filter(kind="escalated").count() == len(complaints)
    assert Notification.objects.filter(kind="escalated", recipient=supervisor_a).count() == len(complaints)


@pytest.mark.django_db
def test_a_recurring_campaign_whose_times_passed_while_beat_was_down_runs_once(world, clock):
    campaign = world["campaign"]
    campaign.refresh_from_db()
    first = campaign.next_run_at
    assert timezone.localtime(first) == local(2027, 1, 5, 10, 0)
    missed_until = first + datetime.timedelta(hours=3, seconds=30)  # 10:00, 11:00, 12:00 and 13:00 passed

    assert len(dispatch_tick(now=missed_until, journeys=False).started) == 1
    assert dispatch_tick(now=missed_until, journeys=False).started == []  # beat's double fire on restart
    assert dispatch_tick(now=missed_until + datetime.timedelta(minutes=1), journeys=False).started == []

    campaign.refresh_from_db()
    assert Campaign.objects.filter(parent=campaign).count() == 1  # one occurrence, not four
    assert timezone.localtime(campaign.next_run_at) == local(2027, 1, 5, 14, 0)  # and the next one on time


@pytest.mark.django_db
def test_points_expiry_run_an_hour_late_expires_each_lot_once(retailer_a, clock):
    from django.db import transaction

    clock.set(local(2026, 6, 1, 9, 0))
    with transaction.atomic():
        account = account_lock(retailer_id=retailer_a.pk)
        credit(
            account=account, kind=PointsEntry.Kind.ADJUST, points=30, expires_on=datetime.date(2026, 12, 31)
        )
        credit(
            account=account, kind=PointsEntry.Kind.ADJUST, points=20, expires_on=datetime.date(2027, 12, 31)
        )
    clock.set(local(2026, 12, 31, 0, 20))
    assert points_expire()["points"] == 0  # the last day of a lot is still its own
    clock.set(local(2027, 1, 1, 1, 20))  # beat down from midnight: the 00:20 run happens at 01:20
    assert points_expire()["points"] == 30
    clock.set(local(2027, 1, 1, 1, 21))
    assert points_expire()["points"] == 0
    clock.set(local(2027, 1, 2, 0, 20))
    assert points_expire()["points"] == 0  # and the next night finds nothing left
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EXPIRE).count() == 1
    assert PointsAccount.objects.get(retailer=retailer_a).balance == 20
    assert _ledger() == (20, 20, 20)


@pytest.mark.django_db
def test_plans_after_a_missed_night_cover_every_day_an_on_time_run_covers(route_a, clock):
    shops = [RetailerFactory(route=route_a, tier=tier) for tier in (5, 18, 26)]
    app.loader.import_default_modules()
    task = app.tasks["visits.plans_generate"]

    clock.set(local(2026, 11, 22, 2, 50))  # Sunday night's run: this week and next
    task.apply(throw=True)
    on_time = set(VisitPlan.objects.values_list("retailer_id", "planned_on"))
    # beat down from 02:00 to 03:00 on Monday: Monday's 02:50 run happens at 03:50, and then twice
    clock.set(local(2026, 11, 23, 3, 50))
    task.apply(throw=True)
    late = set(VisitPlan.objects.values_list("retailer_id", "planned_on"))
    task.apply(throw=True)
    assert set(VisitPlan.objects.values_list("retailer_id", "planned_on")) == late
    assert late >= on_time
    # every shop has a plan in each week that starts before the next run; no day skipped, none twice
    weeks = [datetime.date(2026, 11, 23), datetime.date(2026, 11, 30)]
    for shop in shops:
        planned = sorted(day for rid, day in late if rid == shop.pk)
        assert len(planned) == len(set(planned))
        if shop.tier >= 25:  # weekly
            for monday in weeks:
                assert any(monday <= day < monday + datetime.timedelta(days=7) for day in planned), shop.tier
    assert plans_generate(week_of=weeks[0]) == 0
    assert plans_generate(week_of=weeks[1]) == 0
