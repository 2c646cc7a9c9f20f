"""Product (品规) import: upsert by code, price class from the bands, substitutes, and the bands themselves."""

import datetime
import itertools

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.imports.models import ImportJob
from sales.models import PriceClassBand, Product
from sales.services import price_class_bands_set, product_price_classes_refresh
from tests.imports.helpers import csv_bytes, row_errors, run_import, validated_job, xlsx_bytes
from tests.sales.helpers import product_row

KIND = ImportJob.Kind.PRODUCTS


@pytest.fixture
def importer(company_admin):
    return company_admin


def import_products(user, rows, **kwargs) -> ImportJob:
    return run_import(user=user, kind=KIND, content=csv_bytes(rows, encoding="gbk"), **kwargs)


def classes() -> dict[str, int | None]:
    return dict(Product.objects.values_list("code", "price_class"))


def test_the_migration_creates_five_bands_covering_every_price(default_bands):
    bands = list(
        PriceClassBand.objects.order_by("min_wholesale_fen").values_list(
            "price_class", "min_wholesale_fen", "max_wholesale_fen"
        )
    )
    assert bands == sorted(default_bands, key=lambda b: b[1])
    assert bands[0][1] == 0
    assert bands[-1][2] is None
    assert all(a[2] == b[1] for a, b in itertools.pairwise(bands))


def test_products_are_created_with_the_price_class_of_their_wholesale_price(importer):
    rows = [
        product_row("P001", "中华", "中华（硬）", "375.00", "450"),
        product_row("P002", "黄金叶", "黄金叶（天叶）", "￥100", "120元"),
        product_row("P003", "双喜", "红双喜（硬）", "62", "75"),
        product_row("P004", "白沙", "白沙（硬）", "38.5", "45"),
        product_row("P005", "经济", "经济（软）", "15", "18"),
        product_row("P006", "边界", "边界（130 元整）", "130.00", "150"),  # the lower bound is inclusive
        product_row("P007", "边界", "边界（129.99）", "129.99", "150"),
    ]
    job = import_products(importer, rows)
    assert (job.created_count, job.rejected_count) == (7, 0), row_errors(job)
    assert classes() == {"P001": 1, "P002": 2, "P003": 3, "P004": 4, "P005": 5, "P006": 1, "P007": 2}
    p = Product.objects.get(code="P004")
    assert (p.wholesale_price_fen, p.retail_price_fen, p.status, p.manufacturer) == (3850, 4500, "active", "")


def test_reimport_updates_by_code_and_reclasses_a_changed_price(importer):
    rows = [
        product_row("P001", "中华", "中华（硬）", "375", "450"),
        product_row("P003", "双喜", "红双喜", "62", "75"),
    ]
    import_products(importer, rows)
    ids = dict(Product.objects.values_list("code", "id"))
    rows[1] = product_row("P003", "双喜", "红双喜", "95", "110")  # 62 -> 95 元: class 3 -> 2
    job = import_products(importer, rows)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert dict(Product.objects.values_list("code", "id")) == ids  # updated in place
    assert classes() == {"P001": 1, "P003": 2}
    again = import_products(importer, rows)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)


def test_substitutes_resolve_to_products_in_the_file_or_already_known(importer, products):
    rows = [
        product_row(
            "P010", "黄金叶", "黄金叶（老版）", "100", "120", 状态="退市", 替代品规="P011"
        ),  # later row
        product_row("P011", "黄金叶", "黄金叶（新版）", "100", "120", 状态="试销"),
        product_row("P012", "白沙", "白沙（旧）", "38", "45", 状态="停产", 替代品规="6901028045901"),  # known
    ]
    job = import_products(importer, rows)
    assert job.created_count == 3, row_errors(job)
    by_code = {p.code: p for p in Product.objects.select_related("substitute")}
    assert by_code["P010"].substitute.code == "P011"
    assert by_code["P010"].status == Product.Status.WITHDRAWN
    assert by_code["P011"].status == Product.Status.TRIAL
    assert by_code["P012"].substitute == products["6901028045901"]
    assert by_code["P012"].status == Product.Status.WITHDRAWN


def test_an_emptied_substitute_cell_clears_the_substitute(importer):
    rows = [
        product_row("P010", "黄金叶", "黄金叶（老版）", "100", "120", 替代品规="P011"),
        product_row("P011", "黄金叶", "黄金叶（新版）", "100", "120"),
    ]
    import_products(importer, rows)
    rows[0] = product_row("P010", "黄金叶", "黄金叶（老版）", "100", "120", 替代品规="")
    import_products(importer, rows)
    assert Product.objects.get(code="P010").substitute is None


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (
            product_row("P1", "中华", "中华", "375", "450", 替代品规="NOPE"),
            "substitute_code",
            "替代品规不存在",
        ),
        (
            product_row("P1", "中华", "中华", "375", "450", 替代品规="P1"),
            "substitute_code",
            "替代品规不能是它自己",
        ),
        (product_row("P1", "中华", "中华", "450", "375"), "retail_price", "建议零售价不能低于批发价"),
        (product_row("P1", "中华", "中华", "0", "375"), "wholesale_price", "价格应为大于 0 的金额"),
        (product_row("P1", "中华", "中华", "3.756", "375"), "wholesale_price", "价格应为大于 0 的金额"),
        (product_row("P1", "中华", "中华", "三百", "375"), "wholesale_price", "价格应为大于 0 的金额"),
        (product_row("P1", "", "中华", "375", "450"), "brand", "不能为空"),
        (
            product_row("P1", "中华", "中华", "375", "450", 状态="热销"),
            "status",
            "状态应为 试销、正常 或 退市",
        ),
        (product_row("P" * 21, "中华", "中华", "375", "450"), "code", "超过 20 个字符"),
    ],
)
def test_bad_product_rows_are_rejected_with_a_reason(importer, row, column, fragment):
    job = validated_job(user=importer, kind=KIND, content=csv_bytes([row]))
    errors = row_errors(job)[2]
    assert any(c == column and fragment in m for c, m in errors), errors
    assert job.valid_rows == 0


def test_duplicate_code_in_the_file_rejects_the_later_row(importer):
    rows = [
        product_row("P1", "中华", "中华（硬）", "375", "450"),
        product_row("P1", "中华", "中华（软）", "580", "700"),
    ]
    job = validated_job(user=importer, kind=KIND, content=csv_bytes(rows))
    assert row_errors(job) == {3: [("code", "文件内卷烟编码重复，与第 2 行相同。")]}


def test_product_file_as_xlsx_with_english_headers(importer):
    header = ["product_code", "brand", "product_name", "wholesale", "retail", "tar"]
    job = run_import(
        user=importer,
        kind=KIND,
        content=xlsx_bytes(header, [["P100", "云烟", "云烟（紫）", 95, 110.0, 11]]),
        name="products.xlsx",
    )
    assert job.created_count == 1, row_errors(job)
    product = Product.objects.get(code="P100")
    assert (product.wholesale_price_fen, product.retail_price_fen, float(product.tar_mg)) == (
        9500,
        11000,
        11.0,
    )
    assert product.price_class == 2


def test_new_bands_from_today_reclass_every_product(products):
    today = timezone.localdate()
    price_class_bands_set(
        effective_from=today,
        bands=[(5, 0, 4000), (4, 4000, 7000), (3, 7000, 12000), (2, 12000, 30000), (1, 30000, None)],
    )
    assert classes() == {
        "6901028001663": 1,  # 375 元
        "6901028100001": 3,  # 100 元: was class 2
        "6901028180566": 4,  # 62 元: was class 3
        "6901028045901": 5,  # 38 元: was class 4
        "6901028300001": 5,
    }
    # older bands still exist, newer ones win
    assert PriceClassBand.objects.filter(effective_from=today).count() == 5
    assert PriceClassBand.objects.filter(effective_from__lt=today).exists()


def test_bands_dated_in_the_future_do_not_apply_yet(products):
    later = timezone.localdate() + datetime.timedelta(days=30)
    price_class_bands_set(effective_from=later, bands=[(5, 0, 50000), (1, 50000, None)])
    assert classes()["6901028001663"] == 1
    assert classes()["6901028100001"] == 2
    product_price_classes_refresh(on=later)
    assert classes()["6901028001663"] == 5


@pytest.mark.parametrize(
    ("bands", "fragment"),
    [
        ([(5, 100, 2000), (1, 2000, None)], "必须从 0 元开始"),
        ([(5, 0, 2000), (1, 2500, None)], "不能有空档或重叠"),
        ([(5, 0, 2000), (1, 1500, None)], "不能有空档或重叠"),
        ([(5, 0, 2000), (1, 2000, 90000)], "最高的价类区间不应有上限"),
        ([(6, 0, 2000), (1, 2000, None)], "价类只能是一类到五类"),
        ([], "必须从 0 元开始"),
    ],
)
def test_bad_bands_are_refused_and_change_nothing(products, bands, fragment):
    before = list(PriceClassBand.objects.values_list())
    with pytest.raises(ValidationError) as info:
        price_class_bands_set(effective_from=timezone.localdate(), bands=bands)
    assert fragment in info.value.messages[0]
    assert list(PriceClassBand.objects.values_list()) == before


def test_today_for_the_bands_is_the_companys_date_not_the_database_sessions(products, monkeypatch):
    # The database session runs in UTC; in Shanghai the new day starts eight hours earlier. Bands that take
    # effect "today" must apply from local midnight: prove the local date is what decides.
    from sales import services

    start = timezone.localdate() + datetime.timedelta(days=3)
    price_class_bands_set(effective_from=start, bands=[(5, 0, 50000), (1, 50000, None)])
    assert classes()["6901028001663"] == 1  # not yet
    monkeypatch.setattr(services.timezone, "localdate", lambda *args, **kwargs: start)
    product_price_classes_refresh()
    assert classes()["6901028001663"] == 5
