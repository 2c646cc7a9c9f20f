"""Partition pruning, proven by the plans PostgreSQL runs: three years of monthly partitions of orders, lines and
summaries, then the nightly scoring run (scores, churn, recommendations, tiers) and an order import, with every
statement of theirs that reads the order history EXPLAIN ANALYZEd (in a savepoint rolled back before the
statement itself runs). A month partition counts as read when one of its scans ran at least once (a partition
pruned at plan time is not in the plan; one pruned at run time shows "never executed", 0 loops).

The tests plan with enable_seqscan off: at this size every month fits in a page or two and reading all of them
is what the planner finds cheapest for the start-of-history probes (min over all weekly rows, a retailer's first
order day), where at scale it takes the index, month by month from the oldest, and stops at the first month
holding a row. Pruning by the windows' bounds does not depend on it: a pruned month is not in the plan at all."""

import datetime
import re

import pytest
from django.db import connection

from sales.demo import demo_orders_build, demo_products_build
from sales.models import Product
from segmentation.scoring.services import scoring_run_execute, scoring_run_start
from tests.accounts.factories import RetailerFactory
from tests.imports.helpers import run_import
from tests.sales.helpers import order_line, orders_csv

AS_OF = datetime.date(2026, 12, 7)
WEEKS = 156  # three years of history: months 2023-12 … 2026-12
HISTORY = ("sales_order", "sales_orderline", "sales_retailerperiodsummary", "sales_retailerproductsummary")
PARTITION = re.compile(r"^(sales_\w+)_p(\d{4})(\d{2})$")


def _scanned(node: dict, found: set) -> None:
    match = PARTITION.match(node.get("Relation Name", ""))
    if match and node.get("Actual Loops", 0) > 0:
        found.add((match.group(1), datetime.date(int(match.group(2)), int(match.group(3)), 1)))
    for child in node.get("Plans", []):
        _scanned(child, found)


class PlanRecorder:
    """Runs EXPLAIN (ANALYZE) of each single statement that names an order-history table, in a savepoint that is
    rolled back, then the statement itself; keeps (sql, months read per table)."""

    def __init__(self):
        self.statements: list[tuple[str, set]] = []

    def __call__(self, execute, sql, params, many, context):
        body = sql.strip().rstrip(";")
        if (
            not many
            and any(table in body for table in HISTORY)
            and ";" not in body
            and re.match(r"(?is)^\s*(WITH|SELECT|INSERT|UPDATE|DELETE|CREATE TEMP)", body)
        ):
            cursor = context["cursor"].cursor  # the driver's cursor: no wrapper, no recursion
            cursor.execute("SAVEPOINT pruning_explain")
            try:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + body, params)
                plan = cursor.fetchone()[0][0]
            finally:
                cursor.execute("ROLLBACK TO SAVEPOINT pruning_explain")
            found: set = set()
            _scanned(plan["Plan"], found)
            self.statements.append((body, found))
        return execute(sql, params, many, context)


@pytest.fixture
def history(route_a):
    RetailerFactory.create_batch(30, route=route_a, licence_issued_on=datetime.date(2023, 1, 2))
    demo_products_build(today=AS_OF)
    demo_orders_build(weeks=WEEKS, today=AS_OF)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'sales_order'::regclass "
            "AND inhrelid::regclass::text ~ '_p[0-9]{6}$'"
        )
        assert cursor.fetchone()[0] >= 36
        first = {}  # the first month holding a row, per table
        for table, key in (("sales_order", "ordered_on"), ("sales_retailerperiodsummary", "period_start")):
            cursor.execute(f"SELECT date_trunc('month', min({key}))::date FROM {table}")  # noqa: S608 - constants
            first[table] = cursor.fetchone()[0]
        first["sales_orderline"] = first["sales_order"]
        first["sales_retailerproductsummary"] = first["sales_retailerperiodsummary"]
        assert first["sales_order"] <= datetime.date(2024, 1, 1)
        return first


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


@pytest.mark.django_db(transaction=False)
def test_the_nightly_run_reads_only_the_months_of_its_windows(history):
    recorder = PlanRecorder()
    run = scoring_run_start(as_of=AS_OF)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    with connection.execute_wrapper(recorder):
        run = scoring_run_execute(run_id=run.pk)
    assert run.status == run.Status.DONE, run.error
    reading = [(sql, found) for sql, found in recorder.statements if found]
    assert len(reading) >= 4, [
        sql[:80] for sql, _ in recorder.statements
    ]  # scores, churn, recommendations, tiers
    # the longest look-back of the run: the 12-month window, the trend and "lost" weeks before it, churn's 55 weeks
    # of history: nothing before 18 months back is read, but the start of all history, read where it is (where the
    # weekly rows start, a retailer's first order day: ordered scans from the oldest month that stop at the first
    # month holding a row)
    floor = _months_before(AS_OF, 18)
    read_by_run = set()
    for sql, found in reading:
        for table, month in found:
            read_by_run.add(month)
            assert month >= floor or month <= history[table], (table, month, sql[:300])
            assert month <= AS_OF.replace(day=1), (table, month, sql[:300])
    old_months = {_months_before(AS_OF, k) for k in range(36)} - {
        m for m in read_by_run if m <= history["sales_order"]
    }
    old_months = {m for m in old_months if m < floor}
    assert len(old_months) >= 6
    assert not (old_months & read_by_run)
    # the summaries alone serve the windows: no statement of the run reads the order lines
    assert not any(table == "sales_orderline" for _sql, found in reading for table, _month in found)


@pytest.mark.django_db(transaction=False)
def test_an_import_of_this_week_reads_and_writes_only_its_months(history, supervisor_a):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT licence_no FROM accounts_retailer r WHERE EXISTS (SELECT FROM sales_order o "
            "WHERE o.retailer_id = r.id) ORDER BY id LIMIT 1"
        )
        licence = cursor.fetchone()[0]
    product = Product.objects.filter(status=Product.Status.ACTIVE).order_by("id").first()
    day = datetime.date(2026, 12, 2)  # a Wednesday: its week row starts on Monday 2026-11-30
    lines = [order_line("PRUNE001", licence, day, product.code, 3, product.wholesale_price_fen)]
    recorder = PlanRecorder()
    with connection.execute_wrapper(recorder):
        job = run_import(user=supervisor_a, kind="orders", content=orders_csv(lines))
    assert job.created_count == 1, job.message
    reading = [(sql, found) for sql, found in recorder.statements if found]
    assert reading
    months = {month for _sql, found in reading for _table, month in found}
    expected = {datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)}
    assert months <= expected, [
        (sql[:200], sorted(found)) for sql, found in reading if {m for _t, m in found} - expected
    ]
    tables = {table for _sql, found in reading for table, _month in found}
    # the summaries' refresh read the week's lines and product weeks (its DELETE of period rows runs in one
    # string with the temp table, not explained here; its bounds are the same)
    assert {"sales_orderline", "sales_retailerproductsummary"} <= tables
