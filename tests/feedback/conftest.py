"""Complaint fixtures: a clock the services read (`at`), and the seeded categories (data migration 0002)."""

import datetime
import importlib
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


@pytest.fixture(autouse=True)
def seeded_categories(request):
    """The categories data migration 0002 seeds (get_or_create: a no-op normally). A transactional test flushes
    every table afterwards, so the next test would find none without this."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_marker")
    from django.apps import apps

    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)


@pytest.fixture
def fresh_rate_limit(settings):
    """A private in-memory cache, so the link rate limit counts only this test's requests."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fb"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def portal_token():
    from accounts.public_links import retailer_link_make
    from feedback.portal import PORTAL

    def make(retailer):
        return retailer_link_make(retailer_id=retailer.pk, purpose=PORTAL)

    return make


@pytest.fixture(autouse=True)
def photos_in_tmp(settings, tmp_path):
    """Uploaded complaint photos land in the test's own folder, never in the developer's .data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
