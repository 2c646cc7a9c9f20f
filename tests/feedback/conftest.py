"""Complaint fixtures: a clock the services read (`at`), and the seeded categories (data migration 0002)."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """Sets what timezone.now() answers for the rest of the test: clock.set(local(2026, 9, 30, 16, 0))."""

    class Clock:
        now = None

        def set(self, moment):
            self.now = moment
            monkeypatch.setattr(timezone, "now", lambda: self.now)
            return moment

    return Clock()


@pytest.fixture
def on_weekday(clock):
    """A plain working Monday morning, 2026-11-23 09:00."""
    return clock.set(local(2026, 11, 23, 9, 0))


@pytest.fixture
def eager_tasks():
    """Celery tasks run in-process when enqueued (what a worker would do, without the broker)."""
    from crm.celery_app import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
