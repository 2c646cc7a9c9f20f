"""The shared body of the import_retailers / import_products / import_orders management commands."""

from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.imports.models import ImportJob
from accounts.imports.services import (
    import_job_cancel,
    import_job_commit,
    import_job_create,
    import_job_validate,
)
from accounts.imports.spec import spec_for
from core.errors import ConflictError
from users.models import User


class ImportCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mode",
            choices=["all", "valid"],
            default="all",
            help="all = nothing is imported if any row is bad (default); valid = import the good rows",
        )
        parser.add_argument(
            "--encoding", default="", help="utf-8, utf-8-sig, gbk or gb18030 (default: detect)"
        )
        parser.add_argument(
            "--user", default="", help="the staff login the import runs as (default: an admin)"
        )
        parser.add_argument("--dry-run", action="store_true", help="validate and report, import nothing")

    def handle(self, *args, file, mode, encoding, user, dry_run, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        actor = self._actor(user)
        try:
            with file.open("rb") as fh:
                job = import_job_create(
                    user=actor,
                    kind=self.kind,
                    upload=File(fh, name=file.name),
                    mode=mode,
                    encoding=encoding,
                    enqueue=False,
                )
            job = import_job_validate(job_id=job.pk)
            if job.status == ImportJob.Status.FAILED:
                raise CommandError(job.message)
            self.stdout.write(
                f"{job.original_name}: {job.file_format} {job.encoding or ''}, {job.total_rows} rows, "
                f"{job.valid_rows} valid, {job.invalid_rows} with errors"
            )
            if job.unknown_columns:
                self.stdout.write(f"Columns not recognised (ignored): {', '.join(job.unknown_columns)}")
            spec = spec_for(self.kind)
            for error in job.row_errors.order_by("row_no", "id")[:20]:
                label = spec.column_title(error.column, job)
                self.stdout.write(f"  row {error.row_no} {label}: {error.message} [{error.value}]")
            if dry_run:
                # nothing waits for a confirmation that will never come: the job is closed, its staging dropped
                import_job_cancel(job_id=job.pk, user=actor)
                self.stdout.write("Dry run: nothing imported.")
                return
            job = import_job_commit(job_id=job.pk, user=actor, enqueue=False)
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            raise CommandError(" ".join(messages)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Import #{job.pk}: {job.created_count} created, {job.updated_count} updated, "
                f"{job.unchanged_count} unchanged, {job.rejected_count} rejected"
            )
        )

    def _actor(self, username: str) -> User:
        if username:
            try:
                return User.objects.get(username=username, is_active=True)
            except User.DoesNotExist:
                raise CommandError(f"No active login {username!r}") from None
        actor = (
            User.objects.filter(is_active=True, role=User.Role.ADMIN).order_by("pk").first()
            or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError("No admin login to run the import as; pass --user")
        return actor
