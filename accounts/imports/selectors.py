"""Reads of import jobs: a user sees the jobs they uploaded; an admin sees all."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.imports.models import ImportJob, ImportRowError
from users.models import User


def import_jobs_visible(*, user: User) -> QuerySet[ImportJob]:
    jobs = ImportJob.objects.select_related("created_by")
    if not user.is_authenticated or not user.is_active:
        return jobs.none()
    if user.is_company_admin:
        return jobs
    return jobs.filter(created_by=user)


def import_job_get(*, user: User, job_id: int) -> ImportJob:
    return get_object_or_404(import_jobs_visible(user=user), pk=job_id)


def import_job_errors(*, job: ImportJob, limit: int = 200) -> list[ImportRowError]:
    return list(job.row_errors.order_by("row_no", "id")[:limit])


def import_kinds_allowed(*, user: User) -> list[tuple[str, str]]:
    """The kinds `user` may import, as (value, label) choices: those whose permissions they hold
    (accounts.imports.spec.ImportSpec.permissions)."""
    from accounts.imports.spec import REGISTRY

    return [
        (value, label)
        for value, label in ImportJob.Kind.choices
        if value in REGISTRY and REGISTRY[value].allowed_for(user)
    ]


def import_job_same_file(*, job: ImportJob) -> ImportJob | None:
    """The latest earlier import of the identical file (same kind, same SHA-256) that was written: re-importing
    it changes nothing, and the preview says so."""
    if not job.sha256:
        return None
    return (
        ImportJob.objects.filter(
            kind=job.kind, sha256=job.sha256, status=ImportJob.Status.DONE, created_at__lte=job.created_at
        )
        .exclude(pk=job.pk)
        .select_related("created_by")
        .order_by("-finished_at", "-pk")
        .first()
    )
