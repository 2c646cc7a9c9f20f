"""One launcher for Celery processes (bench/workers.py): the worker and beat command lines are written there only,
and each caller's differences (queue, pool, host name) come out as the Procfile's workers spell them."""

import ast
import subprocess
from pathlib import Path

from bench import workers

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"migrations", "node_modules", "static", "templates", "locale", ".data"}


def _celery_command_lines() -> set[str]:
    """Every file of ours with a list or tuple that spells a `celery -A …` command."""
    found = set()
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts[:-1]
        if set(parts) & SKIPPED_DIRS or any(p.startswith(".") for p in parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.List | ast.Tuple):
                words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
                if "celery" in words and "-A" in words:
                    found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_celery_command_line_is_written_in_the_launcher_only():
    assert _celery_command_lines() == {"bench/workers.py"}


class _Recorded:
    def __init__(self, args, **kwargs):
        self.args = args


def test_a_one_queue_worker_is_named_after_its_queue_and_threads_choose_the_pool(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", _Recorded)
    sends = workers.celery_worker_start(env={}, output=subprocess.DEVNULL, queue="sends", threads=4)
    assert sends.args[3:6] == ["-A", "crm", "worker"]
    assert {"--queues=sends", "--hostname=sends@%h", "--pool=threads", "--concurrency=4"} <= set(sends.args)
    every = workers.celery_worker_start(env={}, output=subprocess.DEVNULL)
    assert "--pool=solo" in every.args
    assert not [a for a in every.args if a.startswith(("--queues", "--hostname", "--concurrency"))]
    named = workers.celery_worker_start(env={}, output=subprocess.DEVNULL, queue="sends", hostname="load@%h")
    assert "--hostname=load@%h" in named.args
