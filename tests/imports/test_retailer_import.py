"""The retailer import: every rejection rule and its message, counts, idempotence, the two commit modes,
partial columns, double commits and a failure mid-commit."""

import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.imports.models import ImportJob
from accounts.imports.services import import_job_commit, import_job_commit_run, import_job_create
from accounts.imports.spec import spec_for
from accounts.models import Retailer, RetailerEvent
from core.errors import ConflictError
from tests.accounts.factories import id_card_with_check
from tests.imports.helpers import (
    RETAILER_HEADER,
    csv_bytes,
    messages_of,
    retailer_row,
    row_errors,
    run_import,
    upload,
    validated_job,
)
from tests.users.factories import DepartmentFactory, RouteFactory

TODAY = timezone.localdate
VALID_ID = id_card_with_check("41030219800101001")


def one_row_job(user, **overrides) -> ImportJob:
    """A file of one retailer row (file row 2) with the given cells changed."""
    return validated_job(user=user, content=csv_bytes([retailer_row(1, **overrides)]))


def assert_rejected(job: ImportJob, column: str, fragment: str, row_no: int = 2) -> None:
    errors = row_errors(job).get(row_no, [])
    assert any(c == column and fragment in m for c, m in errors), f"row {row_no}: {errors}"
    assert job.invalid_rows >= 1


def state(model=Retailer) -> list[tuple]:
    """Every retailer as a tuple of its values: compare before/after to prove nothing changed."""
    return list(model.objects.order_by("pk").values_list())


# ---- every rejection rule, with the message the user sees ----------------------------------------------------


def _issued():
    return TODAY() - datetime.timedelta(days=400)


RULES = [
    pytest.param(
        {"许可证号": "41030210001"}, "licence_no", "许可证号必须是 12 位数字", id="licence-11-digits"
    ),
    pytest.param({"许可证号": "41030210000A"}, "licence_no", "许可证号必须是 12 位数字", id="licence-letter"),
    pytest.param({"许可证号": "410302300001"}, "licence_no", "第 7 位是持证人类型", id="holder-digit"),
    pytest.param({"许可证号": "410302100000"}, "licence_no", "流水号不能全为 0", id="serial-zero"),
    pytest.param(
        {"许可证号": "110101100001"}, "licence_no", "不是本公司辖区的行政区划代码", id="region-not-company"
    ),
    pytest.param(
        {"许可证号": "410305100001"},
        "licence_no",
        "与所属县级局的区划代码不一致：应为 410302",
        id="region-not-county",
    ),
    pytest.param(
        {
            "有效期至": lambda: (
                _issued().replace(year=_issued().year + 5) + datetime.timedelta(days=1)
            ).isoformat()
        },
        "licence_expires_on",
        "许可证有效期最长 5 年",
        id="expiry-over-5-years",
    ),
    pytest.param(
        {"有效期至": lambda: (_issued() - datetime.timedelta(days=1)).isoformat()},
        "licence_expires_on",
        "有效期至必须晚于发证日期",
        id="expiry-before-issue",
    ),
    pytest.param(
        {"有效期至": lambda: _issued().isoformat()},
        "licence_expires_on",
        "有效期至必须晚于发证日期",
        id="expiry-on-issue-day",
    ),
    pytest.param(
        {
            "发证日期": lambda: (TODAY() + datetime.timedelta(days=1)).isoformat(),
            "有效期至": lambda: (TODAY() + datetime.timedelta(days=400)).isoformat(),
        },
        "licence_issued_on",
        "发证日期不能晚于今天",
        id="issued-in-future",
    ),
    pytest.param({"发证日期": "2023-02-30"}, "licence_issued_on", "日期格式应为", id="impossible-date"),
    pytest.param({"发证日期": ""}, "licence_issued_on", "不能为空", id="issued-blank"),
    pytest.param({"手机号": "12345678901"}, "mobile", "不是有效的", id="mobile-bad-prefix"),
    pytest.param({"手机号": "1380000123"}, "mobile", "不是有效的", id="mobile-10-digits"),
    pytest.param({"手机号": "0379-63912345"}, "mobile", "不是有效的", id="mobile-landline"),
    pytest.param({"手机号": ""}, "mobile", "请填写手机号", id="mobile-blank"),
    pytest.param(
        {"身份证号": VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")},
        "owner_id_number",
        "身份证号校验位不正确",
        id="id-card-checksum",
    ),
    pytest.param(
        {"身份证号": "41030219800101"}, "owner_id_number", "身份证号必须是 18 位", id="id-card-short"
    ),
    pytest.param({"市场类型": "郊区"}, "market_type", "“郊区”不是可选值（城镇、乡村）", id="market-type"),
    pytest.param({"经营业态": "网吧"}, "business_format", "“网吧”不是可选值", id="business-format"),
    pytest.param({"经营规模": "特大"}, "scale", "“特大”不是可选值（大、中、小）", id="scale"),
    pytest.param({"经营规模": ""}, "scale", "不能为空", id="scale-blank"),
    pytest.param({"档位": "31"}, "tier", "档位应为 1–30 的整数", id="tier-31"),
    pytest.param({"档位": "0"}, "tier", "档位应为 1–30 的整数", id="tier-0"),
    pytest.param({"档位": "十档"}, "tier", "档位应为 1–30 的整数", id="tier-text"),
    pytest.param({"服务线路": "XX-99"}, "route", "没有这条服务线路", id="unknown-route"),
    pytest.param({"营销部": "不存在营销部"}, "org_unit", "没有这个营销部", id="unknown-org-unit"),
    pytest.param({"营销部": "老城区"}, "org_unit", "没有这个营销部", id="org-unit-not-a-department"),
    pytest.param(
        {"服务线路": "JX-B01", "营销部": "老城营销一部"},
        "route",
        "服务线路不属于所填营销部",
        id="route-not-in-org-unit",
    ),
    pytest.param(
        {"营销部": "", "服务线路": ""}, "org_unit", "没有填写营销部或服务线路", id="no-unit-no-route"
    ),
    pytest.param({"店铺名称": ""}, "shop_name", "不能为空", id="shop-name-blank"),
    pytest.param({"店铺名称": "店" * 101}, "shop_name", "超过 100 个字符", id="shop-name-too-long"),
    pytest.param({"客户编码": "C" * 21}, "customer_code", "超过 20 个字符", id="customer-code-too-long"),
]


@pytest.mark.parametrize(("overrides", "column", "fragment"), RULES)
def test_each_rejection_rule_names_the_column_and_explains(county_a_world, overrides, column, fragment):
    cells = {k: (v() if callable(v) else v) for k, v in overrides.items()}
    before = state()
    job = one_row_job(county_a_world, **cells)
    assert job.status == ImportJob.Status.VALIDATED
    assert_rejected(job, column, fragment)
    assert job.valid_rows == 0
    with pytest.raises(ValidationError):  # nothing to import, in either mode
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert state() == before


@pytest.mark.parametrize(
    ("header", "value", "column", "fragment"),
    [
        ("电子邮箱", "zhou@", "email", "邮箱格式不正确"),
        ("银行账号", "6222-abc", "bank_account", "银行账号应为 12–30 位数字"),
        ("订货日", "周八", "order_weekday", "订货日应为周一至周日或 1–7"),
        ("纬度", "91", "latitude", "应为 3 到 54 之间的数字"),
        ("经度", "east", "longitude", "应为 73 到 136 之间的数字"),
        ("经营面积", "-5", "shop_area_m2", "经营面积应为 1–100000 的数字"),
        ("夜间营业", "也许", "is_night_shop", "请填“是”或“否”"),
        ("信用等级", "AAAA", "credit_grade", "不是可选值"),
        ("客户状态", "冻结", "status", "不是可选值"),
        ("订货方式", "微信", "order_channel", "不是可选值"),
        ("结算方式", "支票", "payment_method", "不是可选值"),
        ("许可证状态", "作废", "licence_status", "不是可选值"),
    ],
)
def test_optional_columns_are_validated_too(county_a_world, header, value, column, fragment):
    row = {**retailer_row(1), header: value}
    job = validated_job(user=county_a_world, content=csv_bytes([row]))
    assert_rejected(job, column, fragment)


def test_a_minor_owner_birthday_is_rejected_like_the_form_does(county_a_world):
    too_young = TODAY().replace(year=TODAY().year - 10).isoformat()
    row = {**retailer_row(1), "负责人生日": too_young}
    job = validated_job(user=county_a_world, content=csv_bytes([row]))
    assert_rejected(job, "owner_birthday", "负责人须年满 18 周岁")


def test_chinese_enum_labels_weekdays_and_yes_no_are_normalised(county_a_world):
    row = {
        **retailer_row(1, 市场类型="乡村", 经营业态="烟酒店", 经营规模="大型", 档位="12档"),
        "订货日": "星期三",
        "夜间营业": "是",
        "结算方式": "现金",
        "客户状态": "正常",
        "电子邮箱": "zhou@example.com",
        "银行账号": "6222 0202 0011 2233",
        "手机号": "+86 138-0000-0001",
        "许可证号": "４１０３０２１０００ ０１",
    }
    job = run_import(user=county_a_world, content=csv_bytes([row]))
    assert job.created_count == 1, row_errors(job)
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert (retailer.market_type, retailer.business_format, retailer.scale) == ("X", "Y", "1")
    assert retailer.class_code == "XY1"
    assert retailer.tier == 12
    assert retailer.order_weekday == 3
    assert retailer.is_night_shop is True
    assert retailer.payment_method == "cash"
    assert retailer.status == "active"
    assert retailer.mobile == "13800000001"
    assert retailer.bank_account == "6222020200112233"
    assert retailer.shop_name == "老城第1号便利店"
    # defaults for the columns the file does not carry
    assert retailer.credit_grade == "A"
    assert retailer.order_channel == "online"
    assert retailer.sms_consent is False


def test_org_unit_is_taken_from_the_route_when_only_the_route_is_given(county_a_world, dept_a, route_a):
    row = retailer_row(1)
    del row["营销部"]
    job = run_import(user=county_a_world, content=csv_bytes([row]))
    assert job.created_count == 1
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert (retailer.org_unit_id, retailer.route_id) == (dept_a.pk, route_a.pk)


def test_a_retailer_with_an_org_unit_and_no_route_is_imported(county_a_world, dept_a):
    job = run_import(user=county_a_world, content=csv_bytes([retailer_row(1, 服务线路="")]))
    assert job.created_count == 1
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert (retailer.org_unit_id, retailer.route_id) == (dept_a.pk, None)


def test_duplicate_licence_within_the_file_rejects_the_later_row(county_a_world):
    rows = [retailer_row(1), retailer_row(2, 许可证号="410302100001"), retailer_row(3)]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    assert row_errors(job) == {3: [("licence_no", "文件内许可证号重复，与第 2 行相同。")]}
    assert (job.valid_rows, job.invalid_rows) == (2, 1)


def test_duplicate_customer_code_within_the_file_rejects_the_later_row(county_a_world):
    rows = [retailer_row(1), retailer_row(2), retailer_row(3, 客户编码="LC00000001")]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    assert row_errors(job) == {4: [("customer_code", "文件内客户编码重复，与第 2 行相同。")]}


def test_customer_code_used_by_another_licence_is_rejected(county_a_world, retailer_a):
    job = one_row_job(county_a_world, 客户编码=retailer_a.customer_code)
    assert_rejected(job, "customer_code", "客户编码已被另一家客户（不同许可证号）使用。")


def test_the_rules_against_existing_retailers_report_each_rows_errors_in_the_rules_order(
    county_a_world, retailer_a, retailer_b
):
    from accounts.services import LOCKED_FIELDS, starting_tier_cap

    cap = starting_tier_cap()
    existing = retailer_row(
        1,
        许可证号=retailer_a.licence_no,
        客户编码=retailer_b.customer_code,
        档位=str(retailer_a.tier + 1),
        信用等级=retailer_a.credit_grade,
    )
    new = retailer_row(2, 档位=str(cap + 1), 信用等级="AAA")
    content = csv_bytes([existing, new], header=[*RETAILER_HEADER, "信用等级"])

    errors = row_errors(validated_job(user=county_a_world, content=content))

    assert errors[2] == [
        ("customer_code", "客户编码已被另一家客户（不同许可证号）使用。"),
        ("tier", "已有客户的该项不能通过导入修改。" + str(LOCKED_FIELDS["tier"])),
    ]
    assert errors[3] == [
        ("tier", f"新客户的起始档位不能高于 {cap} 档（档位评定规则中的新客户上限）。"),
        ("credit_grade", "新客户的信用等级从 A 级开始。" + str(LOCKED_FIELDS["credit_grade"])),
    ]


def test_customer_code_of_the_same_licence_is_an_update_not_a_clash(county_a_world, retailer_a):
    row = retailer_row(
        1, 客户编码=retailer_a.customer_code, 许可证号=retailer_a.licence_no, 店铺名称="改名后的店"
    )
    job = run_import(user=county_a_world, content=csv_bytes([row]))
    assert (job.created_count, job.updated_count, job.rejected_count) == (0, 1, 0)
    retailer_a.refresh_from_db()
    assert retailer_a.shop_name == "改名后的店"


def test_supervisor_cannot_import_into_another_county(county_a_world):
    row = retailer_row(
        1, region="410305", 营销部="涧西营销一部", 服务线路="JX-B01", 经营地址="河南省洛阳市涧西区南昌路1号"
    )
    job = one_row_job(county_a_world, **row)
    assert_rejected(job, "org_unit", "您无权把客户导入到该营销部。")
    assert job.valid_rows == 0


def test_supervisor_cannot_update_another_countys_retailer(county_a_world, retailer_b):
    row = retailer_row(
        1,
        客户编码=retailer_b.customer_code,
        许可证号=retailer_b.licence_no,
        营销部="涧西营销一部",
        服务线路="JX-B01",
        店铺名称="被改掉的名字",
    )
    before = state()
    job = one_row_job(county_a_world, **row)
    assert_rejected(job, "licence_no", "该许可证号属于您辖区以外的客户，无权更新。")
    assert job.valid_rows == 0
    assert state() == before


def test_supervisor_cannot_take_another_countys_retailer_into_their_own(county_a_world, retailer_b):
    # Moving B's retailer into county A by naming A's department: still an update of B's record.
    row = retailer_row(1, 客户编码=retailer_b.customer_code, 许可证号=retailer_b.licence_no)
    job = one_row_job(county_a_world, **row)
    assert_rejected(job, "licence_no", "该许可证号属于您辖区以外的客户，无权更新。")


def test_company_admin_may_import_into_any_county(county_a_world, company_admin):
    rows = [
        retailer_row(1),
        retailer_row(2, region="410305", 营销部="涧西营销一部", 服务线路="JX-B01"),
    ]
    job = run_import(user=company_admin, content=csv_bytes(rows))
    assert (job.created_count, job.rejected_count) == (2, 0), row_errors(job)


def test_a_customer_manager_may_not_import(manager_a):
    with pytest.raises(PermissionDenied):
        import_job_create(user=manager_a, kind="retailers", upload=upload(csv_bytes([retailer_row(1)])))
    assert not ImportJob.objects.exists()


# ---- counts, idempotence, modes -----------------------------------------------------------------------------


def test_counts_created_updated_unchanged_and_rejected(county_a_world):
    first = run_import(user=county_a_world, content=csv_bytes([retailer_row(n) for n in (1, 2, 3)]))
    assert (first.created_count, first.updated_count, first.unchanged_count, first.rejected_count) == (
        3,
        0,
        0,
        0,
    )
    rows = [
        retailer_row(1),  # unchanged
        retailer_row(2, 手机号="13900002222"),  # updated
        retailer_row(3),  # unchanged
        retailer_row(4),  # new
        retailer_row(5, 档位="99"),  # rejected
    ]
    second = run_import(user=county_a_world, content=csv_bytes(rows))
    assert second.status == ImportJob.Status.DONE
    assert (second.created_count, second.updated_count, second.unchanged_count, second.rejected_count) == (
        1,
        1,
        2,
        1,
    )
    assert Retailer.objects.get(licence_no="410302100002").mobile == "13900002222"
    assert not Retailer.objects.filter(licence_no="410302100005").exists()
    assert Retailer.objects.count() == 4


def test_importing_the_same_file_twice_changes_nothing_the_second_time(county_a_world):
    rows = [retailer_row(n, 身份证号=VALID_ID if n == 1 else "") for n in range(1, 6)]
    content = csv_bytes(rows, encoding="gbk")
    first = run_import(user=county_a_world, content=content)
    assert first.created_count == 5
    retailers_before = state()
    events_before = RetailerEvent.objects.count()
    assert events_before >= 5  # one "created" event per retailer
    second = run_import(user=county_a_world, content=content)
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 5)
    assert state() == retailers_before  # not even updated_at moved
    assert RetailerEvent.objects.count() == events_before


def test_import_writes_history_for_created_and_updated_retailers(county_a_world):
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    retailer = Retailer.objects.get(licence_no="410302100001")
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1, 店铺名称="老城一号超市")]))
    labels = list(
        RetailerEvent.objects.filter(pgh_obj_id=retailer.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "shop_name")
    )
    assert labels == [("created", "老城第1号便利店"), ("updated", "老城一号超市")]


def test_all_or_nothing_with_one_bad_row_refuses_to_commit_and_changes_nothing(county_a_world, retailer_a):
    rows = [
        retailer_row(1),
        retailer_row(2, 手机号="110"),
        retailer_row(3, 客户编码=retailer_a.customer_code, 许可证号=retailer_a.licence_no, 档位="10"),
    ]
    job = validated_job(user=county_a_world, content=csv_bytes(rows), mode=ImportJob.Mode.ALL_OR_NOTHING)
    assert (job.valid_rows, job.invalid_rows) == (2, 1)
    before, events = state(), RetailerEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert "文件有 1 行错误" in info.value.messages[0]
    assert "全部导入" in info.value.messages[0]
    assert state() == before
    assert RetailerEvent.objects.count() == events
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED  # the user may still choose "valid rows only"


def test_all_or_nothing_without_errors_imports_every_row(county_a_world):
    job = run_import(
        user=county_a_world,
        content=csv_bytes([retailer_row(1), retailer_row(2)]),
        mode=ImportJob.Mode.ALL_OR_NOTHING,
    )
    assert job.created_count == 2
    assert job.mode == ImportJob.Mode.ALL_OR_NOTHING


def test_valid_only_imports_the_good_rows_and_reports_the_bad(county_a_world):
    rows = [retailer_row(1), retailer_row(2, 手机号="110"), retailer_row(3, 许可证号="410302300003")]
    job = validated_job(user=county_a_world, content=csv_bytes(rows), mode=ImportJob.Mode.ALL_OR_NOTHING)
    # the user switches to "valid rows only" when confirming
    job = import_job_commit(job_id=job.pk, user=county_a_world, mode=ImportJob.Mode.VALID_ONLY, enqueue=False)
    assert (job.status, job.created_count, job.rejected_count) == (ImportJob.Status.DONE, 1, 2)
    assert list(Retailer.objects.values_list("licence_no", flat=True)) == ["410302100001"]
    assert set(row_errors(job)) == {3, 4}


def test_a_column_missing_from_the_file_leaves_existing_values_untouched(county_a_world):
    full = {
        **retailer_row(1, 身份证号=VALID_ID, 档位="12"),
        "电子邮箱": "zhou@example.com",
        "银行账号": "622202020011223344",
    }
    run_import(user=county_a_world, content=csv_bytes([full]))
    partial = retailer_row(1, 店铺名称="老城第1号便利店（新址）")
    for header in ("身份证号", "档位"):
        del partial[header]
    job = run_import(user=county_a_world, content=csv_bytes([partial]))
    assert (job.updated_count, job.unchanged_count) == (1, 0)
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert retailer.shop_name == "老城第1号便利店（新址）"
    assert retailer.tier == 12
    assert retailer.owner_id_number == VALID_ID
    assert retailer.email == "zhou@example.com"
    assert retailer.bank_account == "622202020011223344"


def test_an_empty_cell_in_a_present_column_clears_the_value(county_a_world):
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1, 身份证号="410302198001010019")]))
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1, 身份证号="")]))
    assert Retailer.objects.get(licence_no="410302100001").owner_id_number == ""


def test_an_empty_tier_cell_keeps_an_existing_retailers_tier(county_a_world):
    """The tier changes only through the tier engine: an import neither sets nor clears an existing one."""
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1, 档位="12")]))
    job = run_import(
        user=county_a_world, content=csv_bytes([retailer_row(1, 档位="", 店铺名称="老城一号超市")])
    )
    assert job.updated_count == 1
    assert Retailer.objects.get(licence_no="410302100001").tier == 12


def test_moving_a_retailer_to_another_department_by_name_only_does_not_keep_the_old_route(
    county_a_world, county_a, route_a
):
    DepartmentFactory(name="老城营销二部", parent=county_a)
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    row = retailer_row(1, 营销部="老城营销二部")
    del row["服务线路"]
    before = state()
    job = validated_job(user=county_a_world, content=csv_bytes([row]))
    # the retailer would stay on route LC-A01 of 老城营销一部: refused, the user must name the new route
    assert_rejected(job, "org_unit", "服务线路不属于所填营销部")
    assert job.valid_rows == 0
    assert state() == before
    retailer = Retailer.objects.select_related("route").get(licence_no="410302100001")
    assert retailer.route.org_unit_id == retailer.org_unit_id


def test_moving_a_retailer_to_another_department_with_its_new_route_is_an_update(county_a_world, county_a):
    dept2 = DepartmentFactory(name="老城营销二部", parent=county_a)
    route2 = RouteFactory(code="LC-A02", org_unit=dept2)
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    job = run_import(
        user=county_a_world, content=csv_bytes([retailer_row(1, 营销部="老城营销二部", 服务线路="LC-A02")])
    )
    assert job.updated_count == 1
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert (retailer.org_unit_id, retailer.route_id) == (dept2.pk, route2.pk)


def test_an_xlsx_file_with_typed_cells_imports_like_a_csv(county_a_world):
    from tests.imports.helpers import xlsx_bytes

    issued = TODAY() - datetime.timedelta(days=400)
    header = RETAILER_HEADER
    row = retailer_row(1)
    values = [row[h] for h in header]
    values[1] = 410302100001  # licence typed as a number
    values[2] = issued  # real date cells
    values[3] = datetime.datetime.combine(issued + datetime.timedelta(days=1000), datetime.time())
    values[6] = 13800000001  # mobile as a number
    values[11] = 15  # tier as a number
    job = run_import(user=county_a_world, content=xlsx_bytes(header, [values]), name="retailers.xlsx")
    assert job.file_format == "xlsx"
    assert job.created_count == 1, row_errors(job)
    retailer = Retailer.objects.get(licence_no="410302100001")
    assert retailer.licence_issued_on == issued
    assert retailer.licence_expires_on == issued + datetime.timedelta(days=1000)
    assert retailer.mobile == "13800000001"
    assert retailer.tier == 15


def test_a_gb18030_file_with_rare_characters_imports_them_intact(county_a_world):
    row = retailer_row(1, 店铺名称="刘䶮记烟酒店", 负责人="刘䶮")
    job = run_import(user=county_a_world, content=csv_bytes([row], encoding="gb18030"))
    assert job.encoding == "gb18030"
    assert Retailer.objects.get(licence_no="410302100001").owner_name == "刘䶮"


def test_a_tab_separated_utf8_bom_file_imports(county_a_world):
    job = run_import(
        user=county_a_world, content=csv_bytes([retailer_row(1)], encoding="utf-8-sig", delimiter="\t")
    )
    assert job.encoding == "utf-8-sig"
    assert job.created_count == 1


def test_preview_shows_the_first_rows_with_their_errors(county_a_world):
    rows = [retailer_row(n, 档位="40" if n == 2 else "10") for n in range(1, 13)]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    assert job.preview["header"] == RETAILER_HEADER
    assert [r["row"] for r in job.preview["rows"]] == list(range(2, 12))  # ten rows
    assert job.preview["rows"][0]["errors"] == []
    assert job.preview["rows"][1]["errors"] == ["档位应为 1–30 的整数。"]
    assert job.preview["rows"][1]["cells"][0] == "LC00000002"


def test_preview_also_carries_errors_found_by_the_set_based_checks(county_a_world):
    rows = [retailer_row(1, 服务线路="XX-99")]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    assert job.preview["rows"][0]["errors"] == ["没有这条服务线路。"]


# ---- commit: claims, double clicks, failures ----------------------------------------------------------------


def test_commit_claimed_twice_commits_once(county_a_world):
    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(1), retailer_row(2)]))
    claimed = import_job_commit(job_id=job.pk, user=county_a_world, enqueue=True)  # queued, not yet run
    assert claimed.status == ImportJob.Status.COMMITTING
    with pytest.raises(ConflictError) as info:
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=True)
    assert "导入中" in str(info.value)
    done = import_job_commit_run(job_id=job.pk)
    assert (done.status, done.created_count) == (ImportJob.Status.DONE, 2)
    again = import_job_commit_run(job_id=job.pk)  # a re-delivered task does nothing
    assert (again.status, again.created_count) == (ImportJob.Status.DONE, 2)
    with pytest.raises(ConflictError):
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert Retailer.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_commits_write_the_rows_once(county_a_world):
    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(n) for n in range(1, 4)]))
    barrier = threading.Barrier(2)
    outcomes: list = []

    def click():
        try:
            barrier.wait(timeout=10)
            result = import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
            outcomes.append(result.status)
        except ConflictError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(outcomes) == 2, outcomes
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1, outcomes
    assert ImportJob.Status.DONE in outcomes
    assert Retailer.objects.count() == 3
    assert RetailerEvent.objects.filter(pgh_label="created").count() == 3


def test_a_failure_mid_commit_rolls_back_everything_and_returns_the_job_to_validated(
    county_a_world, retailer_a, monkeypatch
):
    rows = [
        retailer_row(1),
        retailer_row(2, 客户编码=retailer_a.customer_code, 许可证号=retailer_a.licence_no, 档位="10"),
    ]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    spec = spec_for(job.kind)
    real_upsert = spec.upsert
    written = []

    def upsert_then_fail(**kwargs):
        written.append(real_upsert(**kwargs))
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(spec, "upsert", upsert_then_fail)
    before, events = state(), RetailerEvent.objects.count()
    with pytest.raises(RuntimeError):
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert written == [(1, 1, 0)]  # the rows had been written before the failure...
    assert state() == before  # ...and are all gone again
    assert RetailerEvent.objects.count() == events
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert job.message.startswith("导入失败，数据未作任何改动")
    assert "磁盘已满" in job.message
    # the job can be committed again once the cause is gone
    monkeypatch.setattr(spec, "upsert", real_upsert)
    job = import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert (job.status, job.created_count, job.updated_count, job.message) == (
        ImportJob.Status.DONE,
        1,
        1,
        "",
    )


def test_only_the_uploader_or_an_admin_may_commit(county_a_world, company_admin, county_b):
    from tests.users.factories import SupervisorFactory

    other = SupervisorFactory(org_unit=county_b)
    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    with pytest.raises(PermissionDenied):
        import_job_commit(job_id=job.pk, user=other, enqueue=False)
    job = import_job_commit(job_id=job.pk, user=company_admin, enqueue=False)
    assert job.created_count == 1


def test_cancel_drops_the_staging_table_and_imports_nothing(county_a_world):
    from accounts.imports.services import import_job_cancel

    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    import_job_cancel(job_id=job.pk, user=county_a_world)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.CANCELLED
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [job.staging_table])
        assert cursor.fetchone()[0] is None
    with pytest.raises(ConflictError):
        import_job_commit(job_id=job.pk, user=county_a_world, enqueue=False)
    assert not Retailer.objects.exists()


def test_a_done_import_drops_its_staging_table(county_a_world):
    job = run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [job.staging_table])
        assert cursor.fetchone()[0] is None


def test_upload_rules_name_the_field(county_a_world):
    with pytest.raises(ValidationError) as info:
        import_job_create(
            user=county_a_world,
            kind="retailers",
            upload=upload(b"a,b\r\n1,2\r\n", "data.pdf"),
            mode="sometimes",
            encoding="big5",
        )
    assert set(info.value.message_dict) == {"file", "mode", "encoding"}
    with pytest.raises(ValidationError) as info:
        import_job_create(user=county_a_world, kind="retailers", upload=upload(b"", "empty.csv"))
    assert info.value.message_dict["file"] == ["文件是空的。"]
    with pytest.raises(ValidationError) as info:
        import_job_create(user=county_a_world, kind="customers", upload=upload(b"a\r\n", "x.csv"))
    assert "未知的导入类型" in info.value.messages[0]


def test_the_upload_keeps_its_name_size_and_checksum(county_a_world):
    import hashlib

    content = csv_bytes([retailer_row(1)], encoding="gbk")
    job = import_job_create(
        user=county_a_world, kind="retailers", upload=upload(content, "老城区零售户.csv"), enqueue=False
    )
    assert (job.original_name, job.size_bytes) == ("老城区零售户.csv", len(content))
    assert job.sha256 == hashlib.sha256(content).hexdigest()
    assert job.file.read() == content


def test_the_error_report_lists_every_error_with_column_labels(county_a_world):
    from accounts.imports.pipeline import errors_as_csv_rows

    rows = [retailer_row(1), retailer_row(2, 手机号="110", 档位="99")]
    job = validated_job(user=county_a_world, content=csv_bytes(rows))
    report = "".join(errors_as_csv_rows(job))
    assert report.startswith("\ufeff行号,列,值,错误说明")
    lines = report.lstrip("\ufeff").splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("3,手机号,110,")
    assert lines[2] == "3,档位,99,档位应为 1–30 的整数。"


def test_many_rows_are_copied_in_chunks(county_a_world, monkeypatch):
    from accounts.imports import pipeline

    monkeypatch.setattr(pipeline, "COPY_CHUNK_ROWS", 7)
    rows = [retailer_row(n) for n in range(1, 31)]
    rows[20] = retailer_row(21, 档位="0")
    job = run_import(user=county_a_world, content=csv_bytes(rows))
    assert (job.total_rows, job.created_count, job.rejected_count) == (30, 29, 1)
    assert set(row_errors(job)) == {22}


def test_blank_lines_are_skipped_and_row_numbers_stay_file_lines(county_a_world):
    content = (
        csv_bytes([retailer_row(1)])
        + b",,,,,,,,,,,,,,\r\n"
        + csv_bytes([retailer_row(2, 档位="77")]).split(b"\r\n", 1)[1]
    )
    job = validated_job(user=county_a_world, content=content)
    assert job.total_rows == 2
    assert set(row_errors(job)) == {4}
    assert "档位" in messages_of(job, 4)
