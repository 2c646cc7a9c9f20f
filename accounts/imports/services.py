"""Import jobs: create from an upload, validate into staging (preview + errors), commit, cancel."""

import hashlib
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.imports.models import ImportJob
from accounts.imports.pipeline import stage_and_validate, staging_drop
from accounts.imports.reader import SUPPORTED_ENCODINGS, iter_rows, open_source
from accounts.imports.spec import spec_for
from core.db import tables_analyze_after_load
from core.errors import ConflictError
from users.models import User

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
PROGRESS_EVERY_ROWS = 5000


def import_kind_check(*, user: User, kind: str) -> None:
    """The one rule of who may import what: an import of a kind needs the permissions of writing its models
    directly (ImportSpec.permissions). Checked when a job is created and again when it is committed."""
    spec = spec_for(kind)  # an unknown kind is a ValidationError
    if not spec.allowed_for(user):
        raise PermissionDenied(
            _("您没有导入“%(kind)s”的权限：导入与直接新增、修改这类数据需要相同的权限。")
            % {"kind": ImportJob.Kind(kind).label}
        )


def import_job_create(
    *,
    user: User,
    kind: str,
    upload: UploadedFile,
    mode: str = ImportJob.Mode.VALID_ONLY,
    encoding: str = "",
    enqueue: bool = True,
) -> ImportJob:
    """Store the upload and queue its validation. Nothing is imported until the job is committed."""
    import_kind_check(user=user, kind=kind)
    errors = {}
    if mode not in ImportJob.Mode.values:
        errors["mode"] = _("导入方式只能是“全部导入”或“只导入正确的行”。")
    if encoding and encoding not in SUPPORTED_ENCODINGS:
        errors["encoding"] = _("编码只能是 %(list)s。") % {"list": "、".join(SUPPORTED_ENCODINGS)}
    if upload.size == 0:
        errors["file"] = _("文件是空的。")
    elif upload.size > MAX_UPLOAD_BYTES:
        errors["file"] = _("文件超过 200 MB，请拆分后再导入。")
    name = upload.name or "upload"
    if not name.lower().endswith((".csv", ".txt", ".xlsx")):
        errors["file"] = _("只支持 CSV 或 Excel（.xlsx）文件。")
    if errors:
        raise ValidationError(errors)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    job = ImportJob(
        kind=kind,
        mode=mode,
        encoding_override=encoding,
        original_name=name[:255],
        size_bytes=upload.size,
        sha256=digest.hexdigest(),
        created_by=user,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    job.file.save(name, upload, save=False)
    job.save()
    if enqueue:
        from accounts.tasks import import_job_validate_task

        transaction.on_commit(lambda: import_job_validate_task.delay(job.pk))
    return job


def import_job_validate(*, job_id: int) -> ImportJob:
    """Validate in the uploader's language, so the per-row messages read as the page around them."""
    with translation.override(_job_language(job_id)):
        return _import_job_validate(job_id=job_id)


def _job_language(job_id: int) -> str:
    return (
        ImportJob.objects.filter(pk=job_id).values_list("language", flat=True).first()
        or settings.LANGUAGE_CODE
    )


def _import_job_validate(*, job_id: int) -> ImportJob:
    """Read the file into the staging table and record every problem. Safe to run twice (a re-delivered task):
    it claims the job first and does nothing once validation has finished."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATING):
            return job
        job.status = ImportJob.Status.VALIDATING
        job.progress = 0
        job.save(update_fields=["status", "progress"])

    size = max(job.size_bytes, 1)

    def progress(rows_done: int) -> None:
        # Rough progress from rows read; the file position is not exposed by the csv/xlsx readers.
        estimate = (
            min(95, int(rows_done * 100 * 150 / size))
            if job.file_format == "csv"
            else min(95, rows_done // 2000)
        )
        ImportJob.objects.filter(pk=job.pk).update(progress=max(estimate, 1))

    try:
        source = open_source(_path(job), encoding=job.encoding_override or None)
        job.file_format, job.encoding = source.format, source.encoding or ""
        ImportJob.objects.filter(pk=job.pk).update(file_format=job.file_format, encoding=job.encoding)
        figures = stage_and_validate(job=job, rows=iter_rows(source), progress=progress)
    except ValidationError as exc:
        staging_drop(job=job)
        return _fail(job, " ".join(exc.messages))
    except Exception as exc:
        logger.exception("import %s failed during validation", job.pk)
        staging_drop(job=job)
        _fail(job, _("校验时出错：%(err)s") % {"err": exc})
        raise
    job.column_mapping = figures["column_mapping"]
    job.unknown_columns = figures["unknown_columns"]
    job.preview = figures["preview"]
    job.total_rows, job.valid_rows, job.invalid_rows = (
        figures["total_rows"],
        figures["valid_rows"],
        figures["invalid_rows"],
    )
    job.status = ImportJob.Status.VALIDATED
    job.progress = 100
    job.validated_at = timezone.now()
    if job.total_rows == 0:
        job.message = _("文件只有表头，没有数据行。")
    job.save(
        update_fields=[
            "column_mapping",
            "unknown_columns",
            "preview",
            "total_rows",
            "valid_rows",
            "invalid_rows",
            "status",
            "progress",
            "validated_at",
            "message",
        ]
    )
    return job


def _path(job: ImportJob):
    from pathlib import Path

    return Path(job.file.path)


def _fail(job: ImportJob, message: str) -> ImportJob:
    job.status = ImportJob.Status.FAILED
    job.message = message[:2000]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "message", "finished_at"])
    return job


def import_job_commit(*, job_id: int, user: User, mode: str | None = None, enqueue: bool = True) -> ImportJob:
    """Ask for the validated rows to be written: all of them or none (all-or-nothing refuses a file with
    errors), or only the valid ones. The job is claimed under a row lock, so a double click commits once;
    the writing itself runs in `import_job_commit_run` (a Celery task unless enqueue=False)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.created_by_id != user.pk and not user.is_company_admin:
            raise PermissionDenied(_("只能提交自己上传的导入任务。"))
        import_kind_check(user=user, kind=job.kind)
        if job.status != ImportJob.Status.VALIDATED:
            raise ConflictError(
                _("该导入任务当前状态为“%(status)s”，不能提交。") % {"status": job.get_status_display()}
            )
        if mode:
            if mode not in ImportJob.Mode.values:
                raise ValidationError({"mode": _("未知的导入方式。")})
            job.mode = mode
        if job.mode == ImportJob.Mode.ALL_OR_NOTHING and job.invalid_rows:
            raise ValidationError(
                _(
                    "文件有 %(n)s 行错误：“全部导入”方式下不导入任何数据。请修正后重新上传，或改为“只导入正确的行”。"
                )
                % {"n": job.invalid_rows}
            )
        if job.valid_rows == 0:
            raise ValidationError(_("没有可导入的正确行。"))
        job.status = ImportJob.Status.COMMITTING
        job.progress = 0
        job.save(update_fields=["status", "mode", "progress"])
        if enqueue:
            from accounts.tasks import import_job_commit_task

            transaction.on_commit(lambda: import_job_commit_task.delay(job.pk))
    if not enqueue:
        return import_job_commit_run(job_id=job.pk)
    return job


def import_job_commit_run(*, job_id: int) -> ImportJob:
    with translation.override(_job_language(job_id)):
        return _import_job_commit_run(job_id=job_id)


def _import_job_commit_run(*, job_id: int) -> ImportJob:
    """Write the claimed job's valid rows in one transaction; a failure leaves the data untouched and the job
    back in "validated" with the reason, so it can be committed again."""
    job = ImportJob.objects.get(pk=job_id)
    if job.status != ImportJob.Status.COMMITTING:
        return job  # already done (a re-delivered task) or never claimed
    spec = spec_for(job.kind)
    try:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().get(pk=job_id)
            if locked.status != ImportJob.Status.COMMITTING:
                return locked
            with connection.cursor() as cursor:
                created, updated, unchanged = spec.upsert(
                    cursor=cursor, job=locked, table=locked.staging_table
                )
                # Later statements (the next import's checks, the duplicate scan) plan with the new row
                # counts; inside the transaction, so nothing reads the new rows with the old statistics.
                tables_analyze_after_load(cursor, created + updated, *spec.analyze_tables)
            locked.created_count, locked.updated_count, locked.unchanged_count = created, updated, unchanged
            locked.rejected_count = locked.invalid_rows
            locked.status = ImportJob.Status.DONE
            locked.finished_at = timezone.now()
            locked.progress = 100
            locked.message = ""
            locked.save(
                update_fields=[
                    "created_count",
                    "updated_count",
                    "unchanged_count",
                    "rejected_count",
                    "status",
                    "finished_at",
                    "progress",
                    "message",
                ]
            )
    except Exception as exc:
        logger.exception("import %s failed during commit", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportJob.Status.VALIDATED,
            message=(_("导入失败，数据未作任何改动：%(err)s") % {"err": exc})[:2000],
        )
        raise
    staging_drop(job=locked)
    return locked


def import_job_cancel(*, job_id: int, user: User) -> ImportJob:
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if job.created_by_id != user.pk and not user.is_company_admin:
            raise PermissionDenied(_("只能取消自己上传的导入任务。"))
        if job.status not in (ImportJob.Status.UPLOADED, ImportJob.Status.VALIDATED, ImportJob.Status.FAILED):
            raise ConflictError(
                _("该导入任务当前状态为“%(status)s”，不能取消。") % {"status": job.get_status_display()}
            )
        job.status = ImportJob.Status.CANCELLED
        job.finished_at = timezone.now()
        job.save(update_fields=["status", "finished_at"])
    staging_drop(job=job)
    return job


STALE_AFTER_DAYS = 7


def import_jobs_expire(*, days: int = STALE_AFTER_DAYS) -> int:
    """Cancel jobs left waiting for confirmation longer than `days` and drop their staging tables, so an
    abandoned preview does not keep a copy of a whole file in the database. Returns how many were expired."""
    import datetime

    cutoff = timezone.now() - datetime.timedelta(days=days)
    expired = 0
    for job_id in ImportJob.objects.filter(
        status__in=[ImportJob.Status.VALIDATED, ImportJob.Status.UPLOADED], created_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update(skip_locked=True).filter(pk=job_id).first()
            if job is None or job.status not in (ImportJob.Status.VALIDATED, ImportJob.Status.UPLOADED):
                continue
            job.status = ImportJob.Status.CANCELLED
            job.message = _("超过 %(days)s 天未确认，已自动取消。") % {"days": days}
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "message", "finished_at"])
            staging_drop(job=job)
            expired += 1
    return expired
