"""import_retailers / import_products / import_orders: FILE, --mode, --dry-run, --encoding, --user."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.imports.models import ImportJob
from accounts.models import Retailer
from sales.models import Order, Product, RetailerPeriodSummary
from tests.imports.helpers import csv_bytes, retailer_row, xlsx_bytes
from tests.sales.helpers import order_line, product_row


def run(command: str, *args) -> str:
    out = io.StringIO()
    call_command(command, *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def files(tmp_path):
    def write(name: str, content: bytes):
        path = tmp_path / name
        path.write_bytes(content)
        return path

    return write


@pytest.fixture
def retailer_file(files):
    return files(
        "零售户.csv",
        csv_bytes([retailer_row(1), retailer_row(2, 手机号="110"), retailer_row(3)], encoding="gbk"),
    )


def test_import_retailers_all_or_nothing_by_default_refuses_a_file_with_errors(
    retailer_file, company_admin, route_a
):
    with pytest.raises(CommandError) as info:
        run("import_retailers", retailer_file)
    assert "文件有 1 行错误" in str(info.value)
    assert not Retailer.objects.exists()


def test_import_retailers_valid_mode_imports_the_good_rows_and_reports_the_bad(
    retailer_file, company_admin, route_a
):
    out = run("import_retailers", retailer_file, "--mode", "valid")
    assert "零售户.csv: csv gbk, 3 rows, 2 valid, 1 with errors" in out
    assert "row 3 手机号:" in out
    assert "[110]" in out
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert Retailer.objects.count() == 2
    job = ImportJob.objects.get()
    assert (job.created_by, job.status, job.mode) == (company_admin, "done", "valid")


def test_dry_run_validates_and_imports_nothing(retailer_file, company_admin, route_a):
    out = run("import_retailers", retailer_file, "--mode", "valid", "--dry-run")
    assert "3 rows, 2 valid, 1 with errors" in out
    assert "Dry run: nothing imported." in out
    assert not Retailer.objects.exists()
    job = ImportJob.objects.get()
    assert job.status == "cancelled"  # no job left waiting for a confirmation
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [job.staging_table])
        assert cursor.fetchone()[0] is None


def test_import_retailers_as_a_named_user_applies_their_territory(files, supervisor_a, route_a, route_b):
    path = files(
        "mixed.csv",
        csv_bytes(
            [retailer_row(1), retailer_row(2, region="410305", 营销部="涧西营销一部", 服务线路="JX-B01")]
        ),
    )
    out = run("import_retailers", path, "--user", "supervisor_a", "--mode", "valid")
    assert "您无权把客户导入到该营销部" in out
    assert "1 created, 0 updated, 0 unchanged, 1 rejected" in out


def test_import_retailers_reports_unknown_columns_and_honours_the_encoding(files, company_admin, route_a):
    path = files("x.csv", csv_bytes([{**retailer_row(1), "微信号": "wx"}], encoding="gbk"))
    out = run("import_retailers", path, "--encoding", "gb18030")
    assert "csv gb18030" in out
    assert "Columns not recognised (ignored): 微信号" in out
    assert Retailer.objects.count() == 1


def test_a_file_the_reader_refuses_is_a_command_error(files, company_admin):
    path = files("x.csv", "客户编码\n老城".encode("utf-16"))
    with pytest.raises(CommandError) as info:
        run("import_retailers", path)
    assert "无法识别文件编码" in str(info.value)


def test_missing_file_unknown_user_and_no_admin_are_command_errors(tmp_path, retailer_file, db):
    with pytest.raises(CommandError, match="No such file"):
        run("import_retailers", tmp_path / "nope.csv")
    with pytest.raises(CommandError, match="No admin login"):
        run("import_retailers", retailer_file)
    with pytest.raises(CommandError, match="No active login 'nobody'"):
        run("import_retailers", retailer_file, "--user", "nobody")


def test_bad_mode_is_refused_by_the_parser(retailer_file, company_admin):
    with pytest.raises(CommandError):
        run("import_retailers", retailer_file, "--mode", "sometimes")


def test_import_products_from_xlsx_and_then_orders(
    files, company_admin, supervisor_a, retailer_a, default_bands
):
    products = files(
        "品规.xlsx",
        xlsx_bytes(
            ["卷烟编码", "品牌", "规格名称", "批发价", "建议零售价"],
            [
                ["6901028001663", "中华", "中华（硬）", 375, 450],
                ["6901028180566", "双喜", "红双喜（硬）", 62, 75],
            ],
        ),
    )
    out = run("import_products", products)
    assert "品规.xlsx: xlsx" in out
    assert "2 created" in out
    assert dict(Product.objects.values_list("code", "price_class")) == {
        "6901028001663": 1,
        "6901028180566": 3,
    }

    day = datetime.date(2025, 6, 3)
    lines = [
        order_line("DD1", retailer_a.licence_no, day, "6901028001663", 2, 37500),
        order_line("DD1", retailer_a.licence_no, day, "6901028180566", 5, 6200),
    ]
    orders = files("订单.csv", csv_bytes(lines, encoding="gbk"))
    assert "Dry run" in run("import_orders", orders, "--dry-run", "--user", "supervisor_a")
    assert not Order.objects.exists()
    out = run("import_orders", orders, "--user", "supervisor_a")
    assert "1 created" in out
    order = Order.objects.get()
    assert (order.retailer_id, order.cartons, order.amount_fen) == (retailer_a.pk, 7, 2 * 37500 + 5 * 6200)
    assert RetailerPeriodSummary.objects.filter(retailer=retailer_a).count() == 2
    out = run("import_orders", orders, "--user", "supervisor_a")
    assert "0 created, 0 updated, 1 unchanged, 0 rejected" in out


def test_import_products_rejects_bad_rows_in_all_mode(files, company_admin):
    path = files("p.csv", csv_bytes([product_row("P1", "中华", "中华", "450", "375")]))
    with pytest.raises(CommandError):
        run("import_products", path)
    assert not Product.objects.exists()
