"""setup_schedules runs at every start: it creates the schedules that are missing and never overwrites one that
exists (an administrator may have edited it in the admin); --reset NAME puts one back on purpose."""

import io

import pytest
from django.core.management import call_command
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm.management.commands.setup_schedules import SCHEDULES


def run(*args) -> str:
    out = io.StringIO()
    call_command("setup_schedules", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def edited(db):
    """Every schedule created, then one edited as an administrator would: another time, disabled, arguments."""
    run()
    task = PeriodicTask.objects.get(name="nightly-scoring")
    task.crontab = CrontabSchedule.objects.create(minute="30", hour="4", timezone="Asia/Shanghai")
    task.enabled = False
    task.description = "改到凌晨四点半"
    task.kwargs = '{"note": "edited"}'
    task.save()
    return task


def test_every_schedule_is_created_once(db):
    run()
    assert set(PeriodicTask.objects.filter(name__in=SCHEDULES).values_list("name", flat=True)) == set(
        SCHEDULES
    )
    for name, (task, cron, why) in SCHEDULES.items():
        row = PeriodicTask.objects.get(name=name)
        assert (row.task, row.description, row.enabled) == (task, why, True)
        assert (row.crontab.minute, row.crontab.hour) == (cron["minute"], cron["hour"])
    count = PeriodicTask.objects.count()
    run()
    assert PeriodicTask.objects.count() == count


def test_a_restart_keeps_every_admin_edit_and_recreates_a_deleted_schedule(edited):
    PeriodicTask.objects.filter(name="duplicates-scan").delete()
    before = {
        t.name: (t.task, t.crontab_id, t.enabled, t.description, t.kwargs) for t in PeriodicTask.objects.all()
    }

    out = run()

    after = {
        t.name: (t.task, t.crontab_id, t.enabled, t.description, t.kwargs) for t in PeriodicTask.objects.all()
    }
    assert "created schedule duplicates-scan" in out
    assert "kept schedule nightly-scoring" in out
    recreated = after.pop("duplicates-scan")
    assert recreated[0] == SCHEDULES["duplicates-scan"][0]
    assert after == before
    edited.refresh_from_db()
    assert (edited.crontab.hour, edited.crontab.minute, edited.enabled) == ("4", "30", False)
    assert edited.description == "改到凌晨四点半"


def test_reset_restores_one_schedule_and_only_that_one(edited):
    PeriodicTask.objects.filter(name="duplicates-scan").update(enabled=False)
    run("--reset", "nightly-scoring")
    edited.refresh_from_db()
    task, cron, why = SCHEDULES["nightly-scoring"]
    assert (edited.task, edited.description, edited.enabled, edited.kwargs) == (task, why, True, "{}")
    assert (edited.crontab.minute, edited.crontab.hour) == (cron["minute"], cron["hour"])
    assert PeriodicTask.objects.get(name="duplicates-scan").enabled is False
