"""Abandoned import previews are cancelled after a week and their staging tables dropped."""

import datetime

from django.db import connection
from django.utils import timezone

from accounts.imports.models import ImportJob
from accounts.imports.services import import_jobs_expire


def _staging_exists(job) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [job.staging_table])
        return cursor.fetchone()[0]


def _validated_job(user, *, age_days):
    job = ImportJob.objects.create(
        kind="retailers",
        original_name="x.csv",
        created_by=user,
        status=ImportJob.Status.VALIDATED,
        created_at=timezone.now() - datetime.timedelta(days=age_days),
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE UNLOGGED TABLE {job.staging_table} (row_no integer)")
    return job


def test_expire_cancels_week_old_previews_and_drops_their_staging(db, company_admin):
    old = _validated_job(company_admin, age_days=8)
    fresh = _validated_job(company_admin, age_days=1)

    assert import_jobs_expire(days=7) == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == ImportJob.Status.CANCELLED
    assert "7" in old.message
    assert not _staging_exists(old)
    assert fresh.status == ImportJob.Status.VALIDATED
    assert _staging_exists(fresh)


def test_expire_leaves_finished_jobs_alone(db, company_admin):
    done = ImportJob.objects.create(
        kind="retailers",
        original_name="y.csv",
        created_by=company_admin,
        status=ImportJob.Status.DONE,
        created_at=timezone.now() - datetime.timedelta(days=30),
    )
    assert import_jobs_expire(days=7) == 0
    done.refresh_from_db()
    assert done.status == ImportJob.Status.DONE
