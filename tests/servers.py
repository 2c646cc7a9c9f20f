"""Real server processes for the tests that need one: gunicorn serving the app on the test database.

with gunicorn(workers=2, threads=2) as server:
    session = server.login("manager_a", "password")
    session.get(server.url("/visits/"))
"""

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def dsn_of(connection) -> str:
    """A libpq URL of the database `connection` is on (the test database under pytest)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, base: str, log_path: Path):
        self.base = base
        self.log_path = log_path

    def url(self, path: str) -> str:
        return self.base + path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def login(self, username: str, password: str) -> requests.Session:
        """A session logged in through the login form, as a browser does (CSRF cookie and token)."""
        session = requests.Session()
        page = session.get(self.url("/login/"), timeout=30)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, f"no login form at /login/ ({page.status_code})"
        answer = session.post(
            self.url("/login/"),
            data={"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": self.url("/login/")},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, f"login of {username} refused ({answer.status_code})"
        return session


@contextlib.contextmanager
def gunicorn(
    *,
    workers: int = 1,
    threads: int = 1,
    settings_module: str = "crm.settings.test",
    extra_env: dict | None = None,
    database_url: str | None = None,
):
    """gunicorn on a free 127.0.0.1 port, on the test database (or `database_url`), DEBUG off; stopped after."""
    from django.db import connection

    port = free_port()
    log_path = Path(tempfile.mkdtemp(prefix="gunicorn-")) / "gunicorn.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url or dsn_of(connection),
        "DEBUG": "0",
        **(extra_env or {}),
    }
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "gunicorn",
            "crm.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "120",
            # longer than a load-test user's pause (1–3 s): gunicorn's default 2 s closes idle connections just
            # as the client reuses them (connection reset by peer)
            "--keep-alive",
            "10",
        ],
        cwd=ROOT,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}", log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise AssertionError(f"gunicorn exited ({process.returncode}):\n{server.log()}")
            try:
                if requests.get(server.url("/healthz"), timeout=30).status_code in (200, 503):
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn did not answer in 90 s:\n{server.log()}")
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
