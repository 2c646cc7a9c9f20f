"""Work is handed to Celery only once the transaction that asked for it has committed: a rolled-back transaction
must leave no task behind (a task that ran for a campaign, an award or an import that never existed would act on
rows nobody can see, or worse, on rows a retry creates again).

Two halves:
- an AST walk over every one of our packages finds each call that enqueues (`.delay(`, `.apply_async(`,
  `.send_task(`) and fails unless it sits inside a function or lambda handed to `transaction.on_commit` (in
  autocommit, a worker's task body, on_commit runs the callback at once, so the rule costs nothing there);
- the services that enqueue are run inside a transaction that is rolled back: nothing reaches the broker, while
  the same call committed does (so the test can fail)."""

import ast
import tomllib
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from django.db import transaction

ROOT = Path(__file__).resolve().parents[2]
ENQUEUE_METHODS = {"delay", "apply_async", "send_task"}

# (file, enclosing function) -> why it may enqueue outside on_commit. Every entry must still match a call.
EXEMPT = {
    ("bench/dispatch.py", "publish_noop"): (
        "the dispatch benchmark's baseline publishes no-op tasks outside any transaction to time the bare broker "
        "round trip; it writes nothing a rollback could take back"
    ),
}


def our_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return config["tool"]["importlinter"]["root_packages"]


def _is_on_commit(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "on_commit") or (
        isinstance(func, ast.Name) and func.id == "on_commit"
    )


def _names_passed_to_on_commit(scope: ast.AST) -> set[str]:
    return {
        arg.id
        for node in ast.walk(scope)
        if _is_on_commit(node)
        for arg in [*node.args, *(k.value for k in node.keywords)]
        if isinstance(arg, ast.Name)
    }


def enqueues_outside_on_commit(source: str) -> list[tuple[int, str, str]]:
    """(line, enclosing function, call) for each enqueue not deferred by transaction.on_commit."""
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    found = []
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ENQUEUE_METHODS
        ):
            continue
        deferred, function, child, current = False, "<module>", node, parents.get(node)
        while current is not None and not deferred:
            if isinstance(child, ast.Lambda) and _is_on_commit(current) and child in current.args:
                deferred = True
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                if function == "<module>":
                    function = child.name
                deferred = child.name in _names_passed_to_on_commit(current)
            child, current = current, parents.get(current)
        if not deferred:
            found.append((node.lineno, function, ast.unparse(node.func)))
    return sorted(found)


def test_the_checker_tells_a_bare_enqueue_from_a_deferred_one():
    source = """
from django.db import transaction
def bare():
    task.delay(1)
def by_lambda():
    transaction.on_commit(lambda: task.delay(1))
def by_function():
    def send():
        for _ in range(2):
            task.apply_async((1,), countdown=3)
    transaction.on_commit(send)
def lambda_elsewhere():
    callbacks.append(lambda: task.delay(1))
def nested_function_not_passed():
    def send():
        app.send_task("x")
    send()
"""
    assert enqueues_outside_on_commit(source) == [
        (4, "bare", "task.delay"),
        (13, "lambda_elsewhere", "task.delay"),
        (16, "send", "app.send_task"),
    ]


def test_every_enqueue_in_our_packages_waits_for_the_commit():
    offenders, exempt_used, enqueues = [], set(), 0
    for package in our_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if not any(f".{method}(" in source for method in ENQUEUE_METHODS):
                continue
            relative = path.relative_to(ROOT).as_posix()
            enqueues += sum(source.count(f".{method}(") for method in ENQUEUE_METHODS)
            for line, function, call in enqueues_outside_on_commit(source):
                if (relative, function) in EXEMPT:
                    exempt_used.add((relative, function))
                else:
                    offenders.append(f"{relative}:{line} {call}(…) in {function}()")
    assert (
        enqueues >= 9
    )  # the walk really found the enqueues (campaigns, loyalty, imports, scoring, feedback)
    assert not offenders, "enqueued outside transaction.on_commit:\n" + "\n".join(offenders)
    assert exempt_used == set(EXEMPT), f"exemptions that no longer match a call: {set(EXEMPT) - exempt_used}"


# ---- at run time: the services that enqueue, rolled back and committed ----------------------------------------------
class _RollbackError(Exception):
    pass


@pytest.fixture
def published(monkeypatch):
    """Names of the tasks handed to the real broker (not eager) while the test runs."""
    from crm.celery_app import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    for folder in ("data_folder_out", "processed_folder"):
        path = app.conf.broker_transport_options.get(folder)
        if path:
            Path(path).mkdir(parents=True, exist_ok=True)
    names: list[str] = []

    def record(sender=None, **_kwargs):
        names.append(sender)

    before_task_publish.connect(record, weak=False)
    yield names
    before_task_publish.disconnect(record)
    app.control.purge()  # what the committed half sent is for no worker


def _send_tasks(**_fixtures):
    from campaigns.services.sending import send_tasks_enqueue

    send_tasks_enqueue(campaign_id=2**31 - 1, count=2)


def _award(**_fixtures):
    from loyalty.hooks import award_created_orders

    award_created_orders(first_order_id=1, last_order_id=10)


def _scoring(**_fixtures):
    from segmentation.scoring.services import scoring_run_start

    scoring_run_start(enqueue=True)


def _campaign_now(*, supervisor_a, county_a):
    from campaigns.models import Campaign
    from campaigns.services.campaigns import campaign_schedule
    from tests.campaigns.factories import CampaignFactory, TemplateFactory

    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a)
    campaign = CampaignFactory(
        template=template,
        org_unit=county_a,
        created_by=supervisor_a,
        state=Campaign.State.APPROVED,
        schedule_kind=Campaign.ScheduleKind.NOW,
    )
    campaign_schedule(actor=supervisor_a, campaign=campaign)


@pytest.mark.parametrize(
    ("service", "tasks"),
    [
        (_send_tasks, ["campaigns.pump", "campaigns.pump"]),
        (_award, ["loyalty.points_award"]),
        (_scoring, ["segmentation.scoring_run"]),
        (_campaign_now, ["campaigns.start"]),
    ],
    ids=["send_tasks_enqueue", "award_created_orders", "scoring_run_start", "campaign_schedule"],
)
@pytest.mark.django_db
def test_a_rolled_back_transaction_enqueues_nothing(
    service, tasks, published, supervisor_a, county_a, django_capture_on_commit_callbacks
):
    def enqueue_then_fail():
        with transaction.atomic():
            service(supervisor_a=supervisor_a, county_a=county_a)
            raise _RollbackError

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(_RollbackError):
        enqueue_then_fail()
    assert callbacks == []
    assert published == []

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        service(supervisor_a=supervisor_a, county_a=county_a)
        assert published == []  # not before the commit …
    assert published == tasks  # … and once it has committed
