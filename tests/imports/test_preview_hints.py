"""What the preview tells before anything is written: likely duplicates of shops already in the system (same
mobile; similar name and address in the same county, across its departments), the identical file imported
before; and the import help page generated from the import specs."""

import pytest
from django.utils import timezone

from accounts.imports.models import ImportJob
from accounts.imports.spec import REGISTRY, CleanContext
from accounts.models import Retailer
from tests.imports.helpers import csv_bytes, retailer_row, row_errors, run_import, validated_job
from tests.users.factories import AdminFactory, DepartmentFactory, RouteFactory


def test_a_row_with_the_mobile_of_another_shop_is_flagged_not_refused(county_a_world, route_a):
    run_import(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(2, 手机号="13800000001")]))
    warnings = job.preview["warnings"]
    assert warnings["count"] == 1
    (item,) = warnings["items"]
    assert (item["row"], item["kind"]) == (2, "phone")
    assert "410302100001" in item["message"]
    assert job.valid_rows == 1


def test_a_similar_shop_in_another_department_of_the_county_is_flagged(county_a_world, route_a, dept_a):
    run_import(
        user=county_a_world,
        content=csv_bytes([retailer_row(1, 店铺名称="惠民便利店", 经营地址="老城区中州东路12号")]),
    )
    second = DepartmentFactory(name="老城营销二部", parent=dept_a.parent)
    RouteFactory(code="LC-A02", org_unit=second, manager=None)
    row = retailer_row(
        2,
        店铺名称="惠民便利店（西关店）",
        经营地址="老城区中州东路12号附1号",
        营销部="老城营销二部",
        服务线路="LC-A02",
    )
    job = validated_job(user=county_a_world, content=csv_bytes([row]))
    assert job.invalid_rows == 0, row_errors(job)
    assert [w["kind"] for w in job.preview["warnings"]["items"]] == ["similar"]


def test_the_same_shop_name_in_another_county_is_not_flagged(county_a_world, route_a, route_b):
    run_import(
        user=county_a_world,
        content=csv_bytes([retailer_row(1, 店铺名称="惠民便利店", 经营地址="中州东路12号")]),
    )
    row = retailer_row(
        2,
        region="410305",
        店铺名称="惠民便利店",
        经营地址="中州东路12号",
        营销部="涧西营销一部",
        服务线路="JX-B01",
    )
    job = validated_job(user=AdminFactory(), content=csv_bytes([row]))
    assert job.invalid_rows == 0, row_errors(job)
    assert job.preview["warnings"]["count"] == 0


def test_the_preview_says_when_the_identical_file_was_imported_before(client_for, county_a_world, route_a):
    content = csv_bytes([retailer_row(1)])
    first = run_import(user=county_a_world, content=content)
    again = validated_job(user=county_a_world, content=content)
    page = client_for(county_a_world).get(again.get_absolute_url()).content.decode()
    assert 'id="same-file"' in page
    assert f"#{first.pk}" in page
    other = validated_job(user=county_a_world, content=csv_bytes([retailer_row(2)]))
    assert 'id="same-file"' not in client_for(county_a_world).get(other.get_absolute_url()).content.decode()


def test_the_help_page_lists_every_accepted_header_of_each_kind(client_for, company_admin):
    page = client_for(company_admin).get("/imports/help/").content.decode()
    for kind in ("retailers", "products", "orders"):
        assert f'id="kind-{kind}"' in page
        for row in REGISTRY[kind].help_rows():
            assert f'data-field="{row["name"]}"' in page
            for header in row["headers"]:
                assert f"<code>{header}</code>" in page
    assert "45296" in page  # Excel date serials are documented


def test_a_failed_job_links_to_the_help_page(client_for, county_a_world):
    job = validated_job(user=county_a_world, content=b"\xe5\x90\x8d\xe7\xa7\xb0,x\r\n1,2\r\n")
    assert job.status == ImportJob.Status.FAILED
    assert (
        "/imports/help/#kind-retailers"
        in client_for(county_a_world).get(job.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize("kind", ["retailers", "products", "orders"])
def test_every_example_on_the_help_page_is_accepted(kind, county_a_world):
    """The examples are what a user copies: each passes the row cleaning of its kind."""
    spec = REGISTRY[kind]
    rows = spec.help_rows()
    assert all(row["example"] or not row["required"] for row in rows)
    raw = {row["name"]: row["example"] for row in rows}
    job = ImportJob(kind=kind, created_by=county_a_world)
    ctx = CleanContext(job=job, today=timezone.localdate())
    spec.prepare(ctx)
    _values, problems = spec.clean(raw, ctx)
    assert problems == []


def test_the_help_page_is_for_importers_only(client_for, manager_a):
    assert client_for(manager_a).get("/imports/help/").status_code == 403
    assert not Retailer.objects.exists()
