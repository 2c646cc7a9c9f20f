"""Retailer export (CSV and XLSX): scoped like the list, masked by permission, logged, Chinese intact."""

import csv
import io

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Retailer, RetailerExport
from crm.roles import ROLE_PERMISSIONS
from tests.accounts.factories import RetailerFactory
from users.models import User

HEADER = [
    "客户编码",
    "许可证号",
    "店铺名称",
    "负责人",
    "手机号",
    "经营地址",
    "分类编码",
    "档位",
    "信用等级",
    "客户状态",
    "许可证有效期至",
    "服务线路",
    "所属单位",
]
CSV_URL = "/retailers/export.csv"
XLSX_URL = "/retailers/export.xlsx"


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response) -> list[list]:
    from openpyxl import load_workbook

    body = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(body), read_only=True)
    sheet = workbook.worksheets[0]
    assert sheet.title == "零售客户"
    rows = [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]
    workbook.close()
    return rows


def export(client, fmt: str, params: dict | None = None):
    return client.get(CSV_URL if fmt == "csv" else XLSX_URL, params or {})


def rows_of(response, fmt: str) -> list[list]:
    return read_csv(response) if fmt == "csv" else read_xlsx(response)


@pytest.fixture
def without_contact_details(monkeypatch):
    """Take 查看完整联系方式 away from the supervisor role (every role has it in crm/roles.py)."""
    monkeypatch.setitem(
        ROLE_PERMISSIONS,
        User.Role.SUPERVISOR,
        ROLE_PERMISSIONS[User.Role.SUPERVISOR] - {"accounts.view_contact_details"},
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_is_scoped_to_the_users_territory_with_chinese_intact(
    fmt, supervisor_a, two_territories, client_for
):
    retailer_a, _retailer_b = two_territories
    response = export(client_for(supervisor_a), fmt)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f".{fmt}" in disposition
    rows = rows_of(response, fmt)
    assert rows[0] == HEADER
    assert [r[1] for r in rows[1:]] == [retailer_a.licence_no]
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["店铺名称"] == "老城甲号便利店"
    assert row["负责人"] == "周甲"
    assert (
        row["手机号"] == "138****1234"
    )  # masked in every export (core.masking); one value at a time is a reveal
    assert row["经营地址"] == retailer_a.address
    assert row["客户状态"] == "正常"
    assert row["所属单位"] == "老城营销一部"
    assert row["服务线路"] == "LC-A01"
    assert str(row["档位"]) == "10"
    log = RetailerExport.objects.get()
    assert (log.user, log.row_count, log.unmasked) == (
        supervisor_a,
        1,
        False,
    )  # nothing leaves unmasked in bulk


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_masks_phones_for_users_without_contact_details(
    fmt, supervisor_a, two_territories, client_for, without_contact_details
):
    response = export(client_for(supervisor_a), fmt)
    assert response.status_code == 200
    rows = rows_of(response, fmt)
    assert rows[1][HEADER.index("手机号")] == "138****1234"
    content = "\n".join(",".join(map(str, r)) for r in rows)
    assert "13800001234" not in content
    log = RetailerExport.objects.get()
    assert log.unmasked is False


def test_export_logs_the_filters_and_the_row_count(supervisor_a, route_a, client_for):
    for n, tier in enumerate((5, 12, 18, 25)):
        RetailerFactory(route=route_a, tier=tier, shop_name=f"福满多{n}号店")
    RetailerFactory(route=route_a, tier=15, shop_name="邙山烟酒行")
    response = client_for(supervisor_a).get(
        CSV_URL, {"q": "福满多", "tier_min": "10", "tier_max": "20", "after": "99"}
    )
    rows = read_csv(response)
    assert sorted(r[2] for r in rows[1:]) == ["福满多1号店", "福满多2号店"]
    log = RetailerExport.objects.get()
    assert log.row_count == 2
    assert log.filters == {"q": ["福满多"], "tier_min": ["10"], "tier_max": ["20"]}  # paging is not a filter


def test_admin_exports_every_county(company_admin, two_territories, client_for):
    rows = read_csv(export(client_for(company_admin), "csv"))
    assert {r[1] for r in rows[1:]} == {r.licence_no for r in two_territories}
    assert RetailerExport.objects.get().row_count == 2


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_users_without_the_export_permission_get_403_and_nothing_is_logged(
    fmt, manager_a, retailer_a, client_for
):
    response = export(client_for(manager_a), fmt)
    assert response.status_code == 403
    assert not RetailerExport.objects.exists()


def test_a_manager_granted_the_export_permission_exports_only_their_route(
    manager_a, two_territories, client_for
):
    manager_a.user_permissions.add(
        Permission.objects.get(codename="export_retailer", content_type__app_label="accounts")
    )
    rows = read_csv(export(client_for(manager_a), "csv"))
    assert [r[1] for r in rows[1:]] == [two_territories[0].licence_no]
    assert rows[1][HEADER.index("手机号")] == "138****1234"


def test_a_bad_filter_is_refused_and_not_logged(supervisor_a, retailer_a, client_for):
    response = client_for(supervisor_a).get(CSV_URL, {"tier_min": "99"})
    assert response.status_code == 400
    assert "筛选条件有误" in response.content.decode()
    assert not RetailerExport.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, retailer_a):
    response = client.get(CSV_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not RetailerExport.objects.exists()


def test_csv_cells_with_commas_quotes_and_newlines_survive(supervisor_a, route_a, client_for):
    RetailerFactory(route=route_a, shop_name='老城"金叶",烟酒行', address="河南省洛阳市老城区\n中州路1号")
    rows = read_csv(export(client_for(supervisor_a), "csv"))
    assert rows[1][2] == '老城"金叶",烟酒行'
    assert rows[1][5] == "河南省洛阳市老城区\n中州路1号"


def test_export_of_many_rows_is_complete_and_ordered(supervisor_a, route_a, client_for):
    made = [RetailerFactory(route=route_a) for _ in range(25)]
    rows = read_xlsx(export(client_for(supervisor_a), "xlsx"))
    assert [r[1] for r in rows[1:]] == [r.licence_no for r in sorted(made, key=lambda r: r.pk)]
    assert RetailerExport.objects.get().row_count == 25
    assert Retailer.objects.count() == 25
