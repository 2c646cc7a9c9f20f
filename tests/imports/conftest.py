"""Fixtures for the import tests: uploads go to a temporary media folder; the org tree comes from tests/conftest."""

import pytest

from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures


@pytest.fixture
def county_a_world(route_a, supervisor_a, dept_b, route_b):
    """Both counties with their routes (LC-A01 in 老城营销一部, JX-B01 in 涧西营销一部) and county A's supervisor."""
    return supervisor_a


@pytest.fixture
def celery_eager(settings):
    """Run Celery tasks in-process, as a worker would, when their on_commit callbacks fire."""
    from crm.celery_app import app

    # read before the settings change: the first read of app.conf loads it from the Django settings
    previous = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous
