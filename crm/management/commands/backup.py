"""`manage.py backup [--output DIR]`: the database (pg_dump, custom format) and the media files into one timestamped
folder with a manifest (crm.backup). Prints the folder's path."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.pg_programs import PgProgramsError
from crm.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (pg_dump custom format) and MEDIA_ROOT into one timestamped folder."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=None,
            help="folder to write the backup folder into (default: BACKUP_DIR, else .data/backups)",
        )

    def handle(self, *args, **options):
        output = Path(
            options["output"]
            or getattr(settings, "BACKUP_DIR", "")
            or settings.BASE_DIR / ".data" / "backups"
        )
        try:
            target = backup_create(output_dir=output)
        except (BackupError, PgProgramsError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(str(target))
