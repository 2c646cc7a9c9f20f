"""Fixtures shared by tests/imports and tests/sales (imported into both conftest files)."""

from importlib import import_module

import pytest
from django.apps import apps as django_apps


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files land in the test's own folder, never in the developer's .data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def default_bands(db):
    """The price-class bands migration sales 0002 creates. A transactional test elsewhere in the run flushes
    every table (data migrations are not replayed), so put them back with the migration's own function."""
    from sales.models import PriceClassBand

    migration = import_module("sales.migrations.0002_default_price_bands")
    if not PriceClassBand.objects.exists():
        migration.create_bands(django_apps, None)
    return migration.DEFAULT_BANDS
