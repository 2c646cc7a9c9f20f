"""The restore drill on the machine's PostgreSQL: back up (database + media), write more, restore into a fresh
database, `migrate --check` against it, and the counts of every table, the points ledger's sum and the media files
are those of the backup point — not of the writes after it."""

import datetime
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from core.pg_programs import pg_bin_dir, server_major
from crm.backup import DUMP, MANIFEST, census, census_of, database_drop
from loyalty.ledger.models import PointsEntry
from loyalty.ledger.services import account_lock, credit
from tests.accounts.factories import RetailerFactory

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def _points(retailer, points):
    with transaction.atomic():
        _credit(retailer, points)


def _credit(retailer, points):
    account = account_lock(retailer_id=retailer.pk)
    credit(
        account=account,
        kind=PointsEntry.Kind.ADJUST,
        points=points,
        expires_on=datetime.date(2099, 12, 31),
        note="drill",
    )


@pytest.fixture
def restored_name():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    yield name
    database_drop(name=name)


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def test_restore_drill_gives_back_the_backup_point(route_a, tmp_path, settings, restored_name):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "visits").mkdir(parents=True)
    (tmp_path / "media" / "visits" / "shop.jpg").write_bytes(b"\xff\xd8 photo at the backup point")
    first, second = RetailerFactory(route=route_a), RetailerFactory(route=route_a)
    _points(first, 120)
    _points(second, 30)
    with connection.cursor() as cursor:
        at_backup = census(cursor)
    assert at_backup["points_ledger_sum"] == 150

    call_command("backup", output=str(tmp_path / "backups"))
    (folder,) = (tmp_path / "backups").iterdir()
    assert folder.name.startswith("crm-backup-")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["census"] == at_backup
    assert manifest["media_files"] == 1

    # written after the backup: must not come back
    third = RetailerFactory(route=route_a)
    _points(third, 500)
    (tmp_path / "media" / "visits" / "later.jpg").write_bytes(b"\xff\xd8 later")

    restored_media = tmp_path / "restored-media"
    call_command("restore", str(folder), database=restored_name, create=True, media_root=str(restored_media))

    restored = census_of(restored_name)
    assert restored == at_backup
    assert restored["tables"]["accounts_retailer"] == at_backup["tables"]["accounts_retailer"] >= 2
    assert restored["points_ledger_sum"] == 150
    assert sorted(p.name for p in restored_media.rglob("*.jpg")) == ["shop.jpg"]
    # the restored database is at the code's migrations: nothing to apply, nothing missing
    env = {**os.environ, "DATABASE_URL": _database_url(restored_name)}
    check = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_restore_refuses_a_database_that_is_not_fresh_and_a_damaged_backup(
    route_a, tmp_path, settings, restored_name
):
    settings.MEDIA_ROOT = tmp_path / "media"
    RetailerFactory(route=route_a)
    call_command("backup", output=str(tmp_path / "backups"))
    (folder,) = (tmp_path / "backups").iterdir()
    # into the live database (it has tables): refused, nothing touched
    with pytest.raises(CommandError, match="fresh database"):
        call_command("restore", str(folder), database=connection.settings_dict["NAME"])
    call_command("restore", str(folder), database=restored_name, create=True, media_root=str(tmp_path / "m"))
    # a second restore into the same name with --create: refused
    with pytest.raises(CommandError, match="exists already"):
        call_command(
            "restore", str(folder), database=restored_name, create=True, media_root=str(tmp_path / "m")
        )
    # a damaged dump is refused before anything is written
    with (folder / DUMP).open("ab") as dump:
        dump.write(b"x")
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(folder), database="never_created_" + uuid.uuid4().hex[:6], create=True)


@pytest.mark.django_db
def test_the_client_programs_match_the_server():
    major = server_major()
    directory = pg_bin_dir(major)
    out = subprocess.run([str(directory / "pg_dump"), "--version"], capture_output=True, text=True).stdout  # noqa: S603
    assert int(out.split()[-1].split(".")[0]) >= major
