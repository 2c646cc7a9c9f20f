"""Every path that writes orders or order lines keeps the summaries kept from them current in its own transaction:
the retailer period summaries and the retailer × product weeks that scoring reads instead of the lines.

The paths are found by reading the project's source (SQL that inserts, updates, deletes, truncates or COPYs into
sales_order or sales_orderline, and the ORM writes of Order and OrderLine), so a new one fails here until it is
declared with the test that proves it keeps the summaries equal to a recomputation."""

import ast
import datetime
import re
from pathlib import Path

import pytest
from django.db import connection

from sales.demo import demo_orders_build, demo_products_build, demo_sales_flush
from sales.models import OrderLine, RetailerPeriodSummary, RetailerProductSummary
from tests.accounts.factories import RetailerFactory
from tests.sales.helpers import assert_summaries_equal_rebuild, product_summaries

ROOT = Path(__file__).resolve().parents[2]
SKIPPED_DIRS = {"tests", "migrations", "node_modules", "static", "templates", "locale", ".data"}

# "module:function" -> the test (file::name) proving the summaries equal a recomputation after it
ORDER_WRITERS = {
    "sales/services.py:orders_upsert_from_staging": (
        "tests/sales/test_summaries.py::test_summaries_kept_by_imports_always_equal_a_full_recomputation"
    ),
    "sales/services.py:retailer_orders_move": (
        "tests/sales/test_merge.py::test_merge_moves_orders_and_rebuilds_both_summaries"
    ),
    "sales/demo.py:demo_orders_build": (
        "tests/sales/test_order_write_paths.py::test_the_demo_seed_fills_both_summaries_from_its_lines"
    ),
    "sales/demo.py:demo_sales_flush": (
        "tests/sales/test_order_write_paths.py::test_the_demo_flush_empties_both_summaries_with_the_orders"
    ),
}

TABLE = r"sales_order(?:line)?\b"
WRITE_SQL = re.compile(
    rf"\b(?:INSERT\s+INTO\s+{TABLE}|UPDATE\s+(?:ONLY\s+)?{TABLE}|DELETE\s+FROM\s+(?:ONLY\s+)?{TABLE}"
    rf"|COPY\s+{TABLE}(?:\s*\([^)]*\))?\s+FROM|TRUNCATE\b[^;]*?\b{TABLE})",
    re.IGNORECASE,
)
ORM_WRITES = {"create", "bulk_create", "update", "delete", "get_or_create", "update_or_create", "bulk_update"}
MODELS = {"Order", "OrderLine"}


def _source_files():
    for path in sorted(ROOT.rglob("*.py")):
        parts = set(path.relative_to(ROOT).parts[:-1])
        if not parts & SKIPPED_DIRS and not any(p.startswith(".") for p in parts):
            yield path


def _writes(node: ast.AST) -> bool:
    """Whether `node` itself is a write of orders or lines."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WRITE_SQL.search(node.value))
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        return bool(WRITE_SQL.search(text))
    if isinstance(node, ast.Call):
        func = node.func
        # a COPY helper handed the table's name: _copy(cursor, "sales_order", ...)
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if "copy" in name.lower() and any(
            isinstance(a, ast.Constant) and a.value in ("sales_order", "sales_orderline") for a in node.args
        ):
            return True
        # Order.objects.create(...), OrderLine.objects.bulk_create(...), Order(...)
        if isinstance(func, ast.Attribute) and func.attr in ORM_WRITES:
            target = func.value
            if isinstance(target, ast.Attribute) and target.attr == "objects":
                return getattr(target.value, "id", None) in MODELS
        return getattr(func, "id", None) in MODELS
    return False


def order_writers() -> set[str]:
    """Every top-level function (or method: Class.method) of the project whose body writes orders or lines."""
    found = set()
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module = path.relative_to(ROOT).as_posix()
        for top in tree.body:
            scopes = [top] if not isinstance(top, ast.ClassDef) else top.body
            for scope in scopes:
                if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
                    if any(_writes(n) for n in ast.walk(scope)):
                        found.add(f"{module}:<module>")
                    continue
                name = scope.name if scope is top else f"{top.name}.{scope.name}"
                if any(_writes(n) for n in ast.walk(scope)):
                    found.add(f"{module}:{name}")
    return found


def test_the_scan_finds_a_write_of_each_kind():
    """The scan itself can fail: each kind of write it must recognise is recognised."""
    samples = [
        'cursor.execute("INSERT INTO sales_orderline (order_id) SELECT 1")',
        'cursor.execute("UPDATE sales_order SET cartons = 1")',
        'cursor.execute(f"DELETE FROM sales_orderline l USING {t} c")',
        'cursor.execute("TRUNCATE sales_retailerperiodsummary, sales_order CASCADE")',
        'cursor.copy_expert("COPY sales_order (id) FROM STDIN", buffer)',
        '_copy(cursor, "sales_orderline", columns, arrays)',
        "Order.objects.create(order_no='x')",
        "OrderLine.objects.bulk_create(lines)",
        "Order(order_no='x').save()",
    ]
    for sample in samples:
        assert any(_writes(n) for n in ast.walk(ast.parse(sample))), sample
    reads = [
        'cursor.execute("SELECT count(*) FROM sales_order o JOIN sales_orderline l ON l.order_id = o.id")',
        'cursor.copy_expert("COPY (SELECT * FROM sales_order) TO STDOUT", buffer)',
        'cursor.copy_expert("COPY sales_orderline TO STDOUT", buffer)',
        'tables_analyze(cursor, "sales_order", "sales_orderline")',
        "Order.objects.filter(retailer=r).exists()",
    ]
    for sample in reads:
        assert not any(_writes(n) for n in ast.walk(ast.parse(sample))), sample


def test_every_path_that_writes_orders_or_lines_keeps_the_summaries_and_is_declared():
    found = order_writers()
    assert found == set(ORDER_WRITERS), (
        "the functions that write sales_order / sales_orderline changed. A new one must keep the period summaries "
        "and the retailer × product weeks current in its own transaction (sales.services.period_summaries_refresh "
        "for the (retailer, day) pairs it touched) and be declared in ORDER_WRITERS with the test that proves it: "
        f"new {sorted(found - set(ORDER_WRITERS))}, gone {sorted(set(ORDER_WRITERS) - found)}"
    )


def test_each_declared_path_names_a_test_that_exists():
    for writer, test in ORDER_WRITERS.items():
        file, name = test.split("::")
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        names = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert name in names, (writer, test)


@pytest.mark.django_db
def test_the_demo_seed_fills_both_summaries_from_its_lines(route_a):
    RetailerFactory.create_batch(12, route=route_a)
    demo_products_build(today=datetime.date(2026, 6, 1))
    _orders, lines = demo_orders_build(weeks=6, today=datetime.date(2026, 6, 1))
    assert lines > 50
    kept = product_summaries()
    assert sum(row[3] for row in kept) == lines == OrderLine.objects.count()  # a week row per product bought
    assert RetailerPeriodSummary.objects.exists()
    assert_summaries_equal_rebuild()


@pytest.mark.django_db
def test_the_demo_flush_empties_both_summaries_with_the_orders(route_a):
    RetailerFactory.create_batch(3, route=route_a)
    demo_products_build(today=datetime.date(2026, 6, 1))
    demo_orders_build(weeks=2, today=datetime.date(2026, 6, 1))
    assert RetailerProductSummary.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as a commit would: TRUNCATE refuses pending checks
    demo_sales_flush()
    assert not RetailerProductSummary.objects.exists()
    assert not RetailerPeriodSummary.objects.exists()
