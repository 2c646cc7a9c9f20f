"""Files as the licence office hands them over: no customer code, no department or route, Excel date serials,
formula cells; errors named by the file's own headers."""

import datetime
import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.imports.cells import parse_date
from accounts.imports.models import ImportJob
from accounts.imports.pipeline import errors_as_csv_rows
from accounts.models import Retailer
from tests.imports.helpers import (
    csv_bytes,
    messages_of,
    retailer_row,
    row_errors,
    run_import,
    validated_job,
    xlsx_bytes,
)
from tests.users.factories import DepartmentFactory
from users.models import RegionUnit
from users.services import region_units_seed_defaults

# The columns a licence office's export carries: no 客户编码, no 营销部, no 服务线路.
OFFICE_HEADER = [
    "许可证号",
    "发证日期",
    "有效期至",
    "店铺名称",
    "负责人",
    "手机号",
    "经营地址",
    "市场类型",
    "经营业态",
    "经营规模",
]


def office_row(n: int, **overrides) -> dict[str, str]:
    row = {name: value for name, value in retailer_row(n).items() if name in OFFICE_HEADER}
    row.update(overrides)
    return row


def excel_serial(day: datetime.date) -> int:
    return (day - datetime.date(1899, 12, 30)).days


def with_cached_values(content: bytes, cached: dict[str, str]) -> bytes:
    """An XLSX whose formula cells carry a cached result, as Excel saves them (openpyxl writes none)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for ref, value in cached.items():
                    text, n = re.subn(
                        rf'<c r="{ref}"><f>(.*?)</f><v\s*/>',
                        rf'<c r="{ref}" t="str"><f>\1</f><v>{value}</v>',
                        text,
                    )
                    assert n == 1, ref
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


@pytest.fixture
def region_a(dept_a):
    return RegionUnit.objects.create(region_code="410302", org_unit=dept_a)


def test_excel_date_serials_are_dates():
    assert parse_date("45296") == datetime.date(2024, 1, 5)
    assert parse_date("45296.0") == datetime.date(2024, 1, 5)
    assert parse_date("2024-01-05") == datetime.date(2024, 1, 5)
    with pytest.raises(ValueError):
        parse_date("4529")


def test_the_office_file_imports_with_department_from_the_region_and_licence_as_customer_code(
    county_a_world, region_a, dept_a
):
    issued = timezone.localdate() - datetime.timedelta(days=400)
    rows = [office_row(1, 发证日期=str(excel_serial(issued))), office_row(2)]
    job = run_import(user=county_a_world, content=csv_bytes(rows, header=OFFICE_HEADER))
    assert (job.created_count, job.rejected_count) == (2, 0), row_errors(job)
    first = Retailer.objects.get(licence_no="410302100001")
    assert first.customer_code == "410302100001"
    assert first.org_unit_id == dept_a.pk
    assert first.route_id is None
    assert first.licence_issued_on == issued


def test_an_office_row_whose_region_has_no_department_is_refused_with_the_way_out(county_a_world):
    job = validated_job(user=county_a_world, content=csv_bytes([office_row(1)], header=OFFICE_HEADER))
    assert "区划对应营销部" in messages_of(job, 2)
    assert job.valid_rows == 0


def test_an_existing_retailer_keeps_its_code_department_and_route(county_a_world, region_a, route_a, dept_a):
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    other = DepartmentFactory(name="老城营销二部", parent=dept_a.parent)
    region_a.org_unit = other
    region_a.save()
    job = run_import(
        user=county_a_world, content=csv_bytes([office_row(1, 店铺名称="老城新店名")], header=OFFICE_HEADER)
    )
    assert job.updated_count == 1, row_errors(job)
    shop = Retailer.objects.get(licence_no="410302100001")
    assert (shop.customer_code, shop.shop_name, shop.org_unit_id, shop.route_id) == (
        "LC00000001",
        "老城新店名",
        dept_a.pk,
        route_a.pk,
    )


def test_blank_department_cells_of_an_existing_retailer_keep_its_route(county_a_world, region_a, route_a):
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    job = run_import(
        user=county_a_world, content=csv_bytes([retailer_row(1, 营销部="", 服务线路="", 客户编码="")])
    )
    assert job.rejected_count == 0, row_errors(job)
    shop = Retailer.objects.get(licence_no="410302100001")
    assert (shop.customer_code, shop.route_id) == ("LC00000001", route_a.pk)


def test_customer_code_can_be_required_by_setting(county_a_world, region_a, settings):
    settings.CRM_IMPORT_CUSTOMER_CODE = "required"
    job = validated_job(user=county_a_world, content=csv_bytes([office_row(1)], header=OFFICE_HEADER))
    assert job.status == ImportJob.Status.FAILED
    assert "缺少必填列：客户编码" in job.message
    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(1, 客户编码="")]))
    assert ("customer_code", "不能为空。") in row_errors(job)[2]


def test_xlsx_formula_cells_are_read_by_their_cached_value(county_a_world, region_a):
    row = office_row(1)
    header = [*OFFICE_HEADER]
    cells = [row[name] for name in header]
    cells[header.index("店铺名称")] = '=CONCATENATE("老城","便利店")'
    content = with_cached_values(xlsx_bytes(header, [cells]), {"D2": "老城便利店"})
    job = run_import(user=county_a_world, content=content, name="office.xlsx")
    assert job.created_count == 1, row_errors(job)
    assert Retailer.objects.get().shop_name == "老城便利店"


def test_a_formula_cell_without_a_value_says_so(county_a_world, region_a):
    row = office_row(1)
    cells = [row[name] for name in OFFICE_HEADER]
    cells[OFFICE_HEADER.index("负责人")] = "=A1"
    job = validated_job(user=county_a_world, content=xlsx_bytes(OFFICE_HEADER, [cells]), name="office.xlsx")
    messages = messages_of(job, 2)
    assert "公式单元格没有值" in messages
    assert "不能为空" not in messages
    assert row_errors(job)[2] == [("owner_name", row_errors(job)[2][0][1])]
    assert job.row_errors.get().value == "=A1"


def test_errors_name_columns_by_the_files_own_headers(county_a_world, region_a):
    header = [
        "许可证号",
        "发证日期",
        "有效期至",
        "店铺名称",
        "负责人",
        "联系手机",
        "经营地址",
        "市场类型",
        "经营业态",
        "经营规模",
    ]
    row = office_row(1)
    row["联系手机"] = "110"
    job = validated_job(user=county_a_world, content=csv_bytes([row], header=header))
    report = "".join(errors_as_csv_rows(job)).lstrip("\ufeff").splitlines()
    assert report[1].startswith("2,联系手机,110,")


def test_region_unit_takes_only_a_department_of_the_county_with_that_code(dept_a, dept_b, county_a):
    with pytest.raises(ValidationError, match="410305"):
        RegionUnit(region_code="410302", org_unit=dept_b).full_clean()
    with pytest.raises(ValidationError):
        RegionUnit(region_code="410302", org_unit=county_a).full_clean()
    RegionUnit(region_code="410302", org_unit=dept_a).full_clean()


def test_seeding_maps_each_county_to_its_first_department_and_keeps_edits(dept_a, dept_b, county_a):
    second = DepartmentFactory(name="老城营销二部", parent=county_a)
    assert region_units_seed_defaults() == 2
    assert dict(RegionUnit.objects.values_list("region_code", "org_unit")) == {
        "410302": dept_a.pk,
        "410305": dept_b.pk,
    }
    RegionUnit.objects.filter(region_code="410302").update(org_unit=second)
    assert region_units_seed_defaults() == 0
    assert RegionUnit.objects.get(region_code="410302").org_unit == second
