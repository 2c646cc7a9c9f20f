"""`manage.py restore FOLDER --database NAME [--create] [--media-root DIR]`: a backup folder (crm.backup) into a fresh
database on the configured server, the media files into MEDIA_ROOT, then the census of the restored database
compared with the manifest's (exit status 1 on any difference)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.pg_programs import PgProgramsError
from crm.backup import BackupError, backup_restore, census_differences


class Command(BaseCommand):
    help = "Restore a backup folder into a fresh database and MEDIA_ROOT, and check it against the backup's census."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a folder written by manage.py backup")
        parser.add_argument(
            "--database",
            required=True,
            help="the database to restore into, on the server of DATABASE_URL (it must hold no table)",
        )
        parser.add_argument(
            "--create", action="store_true", help="create the database first (refused if it exists)"
        )
        parser.add_argument(
            "--media-root", default=None, help="where the media files go (default: MEDIA_ROOT)"
        )

    def handle(self, *args, **options):
        try:
            result = backup_restore(
                source=Path(options["folder"]),
                database=options["database"],
                create=options["create"],
                media_root=Path(options["media_root"]) if options["media_root"] else None,
            )
        except (BackupError, PgProgramsError) as exc:
            raise CommandError(str(exc)) from exc
        differences = census_differences(result["expected"], result["restored"])
        if result["media_files"] != result["expected_media_files"]:
            differences.append(
                f"media: {result['media_files']} files, the backup had {result['expected_media_files']}"
            )
        tables = len(result["restored"]["tables"])
        if differences:
            for line in differences:
                self.stderr.write(line)
            raise CommandError(f"restored into {options['database']}, but {len(differences)} differences")
        self.stdout.write(
            f"restored into {options['database']}: {tables} tables, points ledger sum "
            f"{result['restored']['points_ledger_sum']}, {result['media_files']} media files, all as at the backup"
        )
