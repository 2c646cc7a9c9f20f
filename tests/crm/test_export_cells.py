"""Spreadsheet formula injection (OWASP "CSV injection"): a value a retailer or an import file supplied, such as a
shop name `=HYPERLINK("http://x","点击")`, comes out of every export as text, never as a formula.

The exports are enumerated two ways, so that one added later without the rule fails here:
- no module of ours writes CSV or XLSX except through core.spreadsheet (an AST scan for csv.writer, csv.DictWriter
  and openpyxl's Workbook);
- every URL whose view answers with a core.spreadsheet response (the URL resolver and each DRF action are read)
  has a case in EXPORTS below that plants the value where that export shows it and reads the file back.
"""

import ast
import csv
import datetime
import inspect
import io
import pathlib

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver
from openpyxl import load_workbook

from accounts.imports.models import ImportJob
from accounts.imports.pipeline import errors_as_csv_rows  # noqa: F401 - named in EXPORT_MARKERS
from accounts.models import Retailer
from core.spreadsheet import FORMULA_STARTS, cell_safe, csv_text, row_safe
from sales.allocation.services import allocation_plan_publish
from sales.models import Product
from segmentation.segments.services import segment_create
from tests.feedback.conftest import seeded_questionnaire
from tests.feedback.factories import SurveyFactory, open_complaint
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.imports.helpers import csv_bytes, retailer_row, run_import, validated_job
from tests.sales.allocation_cases import FRI, MONDAY, WED, county, draft, scarce  # noqa: F401 - fixtures
from tests.sales.helpers import order_line, orders_csv
from tests.visits.factories import VisitPlanFactory
from users.models import User

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://x","点击")'
SAFE = "'" + EVIL
ROOT = pathlib.Path(settings.BASE_DIR)
APPS = (
    "core",
    "crm",
    "users",
    "accounts",
    "sales",
    "segmentation",
    "campaigns",
    "loyalty",
    "feedback",
    "visits",
)
# what may build CSV without core.spreadsheet, and why: neither is a file a user opens in a spreadsheet
WRITER_EXCEPTIONS = {
    ("core/spreadsheet.py", "*"): "the one helper",
    ("accounts/imports/pipeline.py", "copy_rows"): "COPY into PostgreSQL: the data itself, not an export",
    ("accounts/imports/reader.py", "rows_to_csv_bytes"): "builds an import (input) file for tests",
}
EXPORT_MARKERS = ("csv_response(", "csv_stream_response(", "xlsx_response(", "errors_as_csv_rows(")


@pytest.fixture
def bands_in_place(default_bands):  # noqa: F811 - the allocation fixtures ask for it
    return default_bands


# ---- the helper --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("start", FORMULA_STARTS)
def test_each_formula_start_becomes_text(start):
    assert cell_safe(start + "1+1") == "'" + start + "1+1"


def test_other_values_stay_as_they_are():
    values = ["老城便利店", "", None, -5, 3.5, datetime.date(2026, 1, 2), "a=b", " =x"]
    assert row_safe(values) == values
    assert csv_text(None, [[EVIL, -1]], bom=False) == f'"{SAFE.replace(chr(34), chr(34) * 2)}",-1\r\n'


# ---- every writer goes through the helper -----------------------------------------------------------------------
def _writer_calls(tree):
    """(function name, call text) of every csv.writer / csv.DictWriter / Workbook( call in a module."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if isinstance(child, ast.Call):
                text = ast.unparse(child.func)
                if text in ("csv.writer", "csv.DictWriter", "Workbook", "openpyxl.Workbook"):
                    found.append((function, text))
            visit(child, name)

    visit(tree, "<module>")
    return found


def test_no_module_writes_a_spreadsheet_except_through_core():
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or (relative, "*") in WRITER_EXCEPTIONS:
                continue
            for function, call in _writer_calls(ast.parse(path.read_text())):
                if (relative, function) not in WRITER_EXCEPTIONS:
                    offenders.append(f"{relative}:{function} calls {call}")
    assert offenders == []


# ---- every export, with the value planted where it shows -------------------------------------------------------
def _views():
    """(url name, callable whose source answers the request) for every route, DRF actions one by one."""

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                callback = entry.callback
                cls = getattr(callback, "cls", None)
                actions = getattr(callback, "actions", None)
                if cls is not None and actions:
                    for method_name in set(actions.values()):
                        yield f"{namespace}{entry.name}", getattr(cls, method_name)
                else:
                    yield f"{namespace}{entry.name}", getattr(callback, "view_class", callback)

    yield from walk(get_resolver().url_patterns)


def _exporting_url_names() -> set[str]:
    names = set()
    for name, view in _views():
        target = inspect.unwrap(view)
        try:
            source = inspect.getsource(target)
        except (OSError, TypeError):
            continue
        if any(marker in source for marker in EXPORT_MARKERS):
            names.add(name)
    return names


def _cells(response) -> list[str]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        sheet = load_workbook(io.BytesIO(body)).active
        return [cell.value for row in sheet.iter_rows() for cell in row if isinstance(cell.value, str)]
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def _retailer_export(ctx, url):
    Retailer.objects.filter(pk=ctx["retailer_a"].pk).update(shop_name=EVIL, address="+86 老城")
    return ctx["client"](ctx["supervisor_a"]).get(url)


def _complaints(ctx, url):
    open_complaint(ctx["retailer_a"], description="问题")
    Retailer.objects.filter(pk=ctx["retailer_a"].pk).update(shop_name=EVIL)
    return ctx["client"](ctx["supervisor_a"]).get(url)


def _survey(ctx, url_of):
    questionnaire = seeded_questionnaire()
    segment = segment_create(
        user=ctx["supervisor_a"],
        name="全部",
        org_unit=ctx["county_a"],
        definition={"op": "and", "rules": [{"field": "tier", "operator": "gte", "value": 1}]},
    )
    survey = SurveyFactory(actor=ctx["supervisor_a"], segment=segment, questionnaire=questionnaire)
    item = questionnaire.areas.first().items.first()
    type(item).objects.filter(pk=item.pk).update(text=EVIL)  # the header carries the questionnaire's wording
    return url_of(survey)


def _survey_page(ctx, url):
    return ctx["client"](ctx["supervisor_a"]).get(
        _survey(ctx, lambda s: f"/service/surveys/{s.pk}/export.csv")
    )


def _survey_api(ctx, url):
    return ctx["api"](ctx["supervisor_a"]).get(_survey(ctx, lambda s: f"/api/v1/surveys/{s.pk}/export/"))


def _fill_rate(ctx, url):
    plan = ctx["request"].getfixturevalue("draft")
    allocation_plan_publish(actor=ctx["supervisor_a"], plan=plan, override_reason="x")
    Product.objects.filter(pk=plan.product_id).update(name=EVIL)
    return ctx["client"](ctx["supervisor_a"]).get(f"{url}?cycle={WED}&format=csv")


def _excess(ctx, url):
    plan = ctx["request"].getfixturevalue("draft")
    shops = ctx["request"].getfixturevalue("county")
    product = ctx["request"].getfixturevalue("scarce")
    allocation_plan_publish(actor=ctx["supervisor_a"], plan=plan, override_reason="x")
    town24 = shops["town24"]
    lines = [
        order_line("E1", town24.licence_no, MONDAY, product.code, 1, product.wholesale_price_fen),
        order_line("E2", town24.licence_no, FRI, product.code, 3, product.wholesale_price_fen),
    ]
    run_import(user=ctx["supervisor_a"], kind="orders", content=orders_csv(lines))
    Retailer.objects.filter(pk=town24.pk).update(shop_name=EVIL)
    return ctx["client"](ctx["supervisor_a"]).get(f"{url}?cycle={WED}&format=csv")


def _coverage(ctx, url):
    manager = ctx["manager_a"]
    User.objects.filter(pk=manager.pk).update(display_name=EVIL)
    day = datetime.date(2026, 11, 2)
    VisitPlanFactory(
        retailer=ctx["retailer_a"], planned_on=day, manager=manager, route=ctx["retailer_a"].route
    )
    return ctx["client"](ctx["supervisor_a"]).get(url, {"day_from": "2026-11-02", "day_to": "2026-11-15"})


def _import_errors(ctx, url):
    job = validated_job(user=ctx["supervisor_a"], content=csv_bytes([retailer_row(1, **{"手机号": EVIL})]))
    assert job.status == ImportJob.Status.VALIDATED
    return ctx["client"](ctx["supervisor_a"]).get(url.replace("/0/", f"/{job.pk}/"))


def _import_template(ctx, url):
    # the headers are ours: no value from outside reaches this file, so only "no formula" is asked of it
    return ctx["client"](ctx["supervisor_a"]).get(url)


EXPORTS = {
    "accounts:retailer-export": ("/retailers/export.csv", _retailer_export),
    "accounts:retailer-export-xlsx": ("/retailers/export.xlsx", _retailer_export),
    "feedback:complaint-export": ("/service/complaints/report/export/", _complaints),
    "feedback:survey-export": ("", _survey_page),
    "survey-export": ("", _survey_api),
    "sales:allocation-fill-rate": ("/sales/allocation/fill-rate/", _fill_rate),
    "sales:allocation-excess": ("/sales/allocation/excess/", _excess),
    "visits:coverage-export": ("/visits/coverage/export/", _coverage),
    "imports:job-errors": ("/imports/0/errors.csv", _import_errors),
    "imports:template": ("/imports/template/retailers.csv", _import_template),
}


def test_every_export_url_has_a_case():
    assert _exporting_url_names() == set(EXPORTS)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_formula_comes_out_of_every_export_as_text(
    name,
    request,
    client_for,
    api_client_for,
    supervisor_a,
    manager_a,
    county_a,
    retailer_a,
    retailer_b,
    default_bands,  # noqa: F811
):
    url, case = EXPORTS[name]
    ctx = {
        "request": request,
        "client": client_for,
        "api": api_client_for,
        "supervisor_a": supervisor_a,
        "manager_a": manager_a,
        "county_a": county_a,
        "retailer_a": retailer_a,
    }
    response = case(ctx, url)
    assert response.status_code == 200, name
    cells = _cells(response)
    assert cells, name
    if case is not _import_template:
        assert SAFE in cells, name
    assert [c for c in cells if c and c.startswith(FORMULA_STARTS)] == [], name
