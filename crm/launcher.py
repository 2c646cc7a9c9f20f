"""What `make run` and `make test` do after installing: find or start PostgreSQL, prepare, then run.

With DATABASE_URL (and REDIS_URL) in the environment those servers are used; otherwise the embedded
PostgreSQL (crm.embedded_db) and kombu's filesystem broker under .data/.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_RETAILERS = int(os.environ.get("DEMO_RETAILERS", "3000"))
DEMO_WEEKS = int(os.environ.get("DEMO_WEEKS", "52"))
# Seconds web, worker and beat get to stop after Ctrl-C or SIGTERM before they are killed; the database's own
# stop follows, so everything is gone within 10 s.
STOP_GRACE_SECONDS = float(os.environ.get("STOP_GRACE_SECONDS", "6"))


def _environment(settings: str) -> tuple[dict, bool]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # gunicorn and celery from the virtualenv
    env.setdefault("DJANGO_SETTINGS_MODULE", settings)
    started_embedded = False
    if not env.get("DATABASE_URL"):
        from crm import embedded_db

        env["DATABASE_URL"] = embedded_db.start()
        started_embedded = True
        print(f"Using the embedded PostgreSQL at {env['DATABASE_URL']} (data in .data/postgres)")
    else:
        print("Using DATABASE_URL from the environment")
    print("Broker:", "Redis at REDIS_URL" if env.get("REDIS_URL") else "filesystem transport in .data/broker")
    return env, started_embedded


def host_is_loopback(host: str) -> bool:
    """True when `host` (what gunicorn binds) can only be reached from this machine: localhost, 127.0.0.0/8, ::1."""
    import ipaddress

    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def debug_for_host(env: dict) -> str:
    """DEBUG for `make run`: on by default for the developer at 127.0.0.1, but never when the server listens on an
    address other machines reach (HOST=0.0.0.0, a LAN address, a name): Django's debug pages would show any visitor
    tracebacks with settings and local variables — personal data included. Sets env["DEBUG"], returns why."""
    host = env.get("HOST", "127.0.0.1")
    if host_is_loopback(host):
        env.setdefault("DEBUG", "1")
        return (
            f"DEBUG {'on' if env['DEBUG'] not in ('0', 'false', 'False', 'off', '') else 'off'} (HOST={host})"
        )
    asked = env.get("DEBUG", "")
    env["DEBUG"] = "0"
    note = f"DEBUG off: HOST={host} is reachable from other machines"
    if asked and asked not in ("0", "false", "False", "off"):
        note += f" (DEBUG={asked} ignored)"
    if not env.get("ALLOWED_HOSTS"):
        note += "; set ALLOWED_HOSTS to the name or address the browsers use"
    return note


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


class _StopSignalError(Exception):
    """SIGINT or SIGTERM reached the launcher."""


def _on_stop_signal(signum, frame) -> None:
    raise _StopSignalError(signal.Signals(signum).name)


def _process_tree_stop(proc: subprocess.Popen, grace: float = STOP_GRACE_SECONDS) -> None:
    """Stop `proc` and everything under it: SIGTERM to all, SIGKILL to what is left after `grace` seconds.

    honcho starts web, worker and beat each in a session of its own, so a terminal's Ctrl-C never reaches them
    and their own children (gunicorn workers, the Celery pool) may outlive honcho: every process group seen in
    the tree is signalled, not just the processes, so nothing survives a parent that died first."""
    import psutil

    def tree() -> list:
        try:
            root = psutil.Process(proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    seen = tree()
    groups = set()
    for process in seen:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(process.pid))
    groups.discard(os.getpgrp())  # never our own group (make and the terminal are in it)
    for process in seen:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(seen, timeout=grace)
    for process in alive:
        print(f"still running after {grace:.0f} s, killed: {process.pid}", flush=True)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    for process in [*alive, *tree()]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    proc.wait()


def run() -> int:
    """Prepare the database, then web, worker and beat under honcho until Ctrl-C or SIGTERM; then stop them all
    (within STOP_GRACE_SECONDS, then killed) and, last, the embedded database if this call started it."""
    previous = {sig: signal.signal(sig, _on_stop_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    started_embedded = False
    try:
        env, started_embedded = _environment("crm.settings.dev")
        print(debug_for_host(env), flush=True)
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        _manage(env, "setup_schedules")
        _manage(
            env, "seed_demo", "--retailers", str(DEMO_RETAILERS), "--weeks", str(DEMO_WEEKS), "--if-empty"
        )
        _manage(env, "loyalty_seed_demo", "--if-empty")
        _manage(env, "survey_seed_demo", "--if-empty")
        _manage(env, "visits_seed_demo", "--if-empty")
        _manage(env, "complaints_seed_demo", "--if-empty")
        _manage(env, "demo_logins")
        port = env.setdefault("PORT", "8000")
        print(f"\nOpen http://127.0.0.1:{port}/  (Ctrl-C stops web, worker and beat)\n", flush=True)
        # A session of its own: the launcher, not the terminal, decides the order in which things stop.
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile"], cwd=ROOT, env=env, start_new_session=True
        )
        try:
            return honcho.wait()
        except _StopSignalError as stop:
            print(f"\n{stop}: stopping web, worker and beat", flush=True)
            return 0
        finally:
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
            _process_tree_stop(honcho)
    except (_StopSignalError, KeyboardInterrupt):
        return 0
    finally:
        for sig in previous:
            signal.signal(sig, signal.SIG_IGN)
        if started_embedded:
            from crm import embedded_db

            embedded_db.stop()
            print("embedded PostgreSQL stopped", flush=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def test(extra: list[str], *, checks: bool) -> int:
    """The checks (lint, layers, migrations, static files), then pytest over every core (`TEST_WORKERS` to choose
    how many processes, `-n 0` for one); with `checks=False` pytest alone as asked (CI's second pass, against Redis). Stops the embedded database afterwards if this call started it."""
    env, started_embedded = _environment("crm.settings.test")
    env["DJANGO_SETTINGS_MODULE"] = "crm.settings.test"
    steps = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "lint-imports")],
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        # what `make run` and the Docker image do: every referenced static file must exist
        [
            sys.executable,
            "manage.py",
            "collectstatic",
            "--noinput",
            "--verbosity",
            "0",
            "--settings",
            "crm.settings.dev",
        ],
    ]
    if checks and not any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in extra):
        # the whole suite on every core (pytest-xdist: a test database and broker folder per worker)
        # (work stealing: a worker that runs out takes tests queued on another, so no long test ends the run alone)
        extra = [
            "-n",
            os.environ.get("TEST_WORKERS", str(os.cpu_count() or 1)),
            "--dist",
            "worksteal",
            *extra,
        ]
    steps = [*(steps if checks else []), [sys.executable, "-m", "pytest", *extra]]
    try:
        for step in steps:
            print(
                "\n$", " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)), flush=True
            )
            code = subprocess.run(step, cwd=ROOT, env=env, check=False).returncode
            if code != 0:
                print(f"FAILED: {' '.join(step)} (exit {code})", flush=True)
                return code
        return 0
    finally:
        if started_embedded:
            from crm import embedded_db

            embedded_db.stop()


def manage(args: list[str]) -> int:
    env, _ = _environment("crm.settings.dev")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False).returncode


COMMANDS = {
    "run": lambda rest: run(),
    "test": lambda rest: test(rest, checks=True),
    "pytest": lambda rest: test(rest, checks=False),
    "manage": manage,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        raise SystemExit(
            "usage: python -m crm.launcher run | test [pytest args] | pytest [args] | manage ARGS"
        )
    sys.exit(COMMANDS[sys.argv[1]](sys.argv[2:]))
