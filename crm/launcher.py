"""What `make run` and `make test` do after installing: find or start PostgreSQL, prepare, then run.

With DATABASE_URL (and REDIS_URL) in the environment those servers are used; otherwise the embedded
PostgreSQL (crm.embedded_db) and kombu's filesystem broker under .data/.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO_RETAILERS = int(os.environ.get("DEMO_RETAILERS", "3000"))
DEMO_WEEKS = int(os.environ.get("DEMO_WEEKS", "52"))


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
    for folder in ("broker/out", "broker/processed", "broker/results"):
        (ROOT / ".data" / folder).mkdir(parents=True, exist_ok=True)
    return env, started_embedded


def _manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def run() -> int:
    env, started_embedded = _environment("crm.settings.dev")
    env.setdefault("DEBUG", "1")
    try:
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
        return subprocess.run(
            [str(BIN / "honcho"), "start", "-f", "Procfile"], cwd=ROOT, env=env, check=False
        ).returncode
    except KeyboardInterrupt:
        return 0
    finally:
        if started_embedded:
            from crm import embedded_db

            embedded_db.stop()


def test(extra: list[str]) -> int:
    env, _ = _environment("crm.settings.test")
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
        [sys.executable, "-m", "pytest", *extra],
    ]
    for step in steps:
        print("\n$", " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)), flush=True)
        code = subprocess.run(step, cwd=ROOT, env=env, check=False).returncode
        if code != 0:
            print(f"FAILED: {' '.join(step)} (exit {code})", flush=True)
            return code
    return 0


def manage(args: list[str]) -> int:
    env, _ = _environment("crm.settings.dev")
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "manage"):
        raise SystemExit("usage: python -m crm.launcher run | test [pytest args] | manage ARGS")
    command, rest = sys.argv[1], sys.argv[2:]
    sys.exit(run() if command == "run" else test(rest) if command == "test" else manage(rest))
