"""A supervisor imports a GBK retailer file with one bad row in a real browser: upload, preview and errors,
the downloadable error report, "valid rows only" commit, and the finished summary."""

import csv
import io
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.imports.models import ImportJob
from accounts.models import Retailer
from tests.browser.conftest import PASSWORD, REGION_A
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = [
    "客户编码",
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
    "档位",
    "营销部",
    "服务线路",
]


def _gbk_file() -> bytes:
    issued = timezone.localdate().replace(day=1).replace(year=timezone.localdate().year - 1)
    expires = issued.replace(year=issued.year + 4)
    rows = [
        ["BT-I301", f"{REGION_A}100301", issued, expires, "老城金叶烟酒行", "郑金叶", "13712340301",
         "河南省洛阳市老城区东大街301号", "城镇", "烟酒商店", "中", "8", "老城营销一部", "LC-01"],
        ["BT-I302", f"{REGION_A}100302", issued, expires, "丽景门便民超市", "孙丽", "0379-1234",
         "河南省洛阳市老城区丽景门302号", "城镇", "超市", "大", "15", "老城营销一部", "LC-01"],
        ["BT-I303", f"{REGION_A}100303", issued, expires, "邙山食杂店", "周邙", "13712340303",
         "河南省洛阳市老城区邙山镇303号", "乡村", "食杂店", "小", "3", "老城营销一部", "LC-01"],
    ]  # fmt: skip
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([[str(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode("gbk")


@pytest.fixture
def eager_celery(settings):
    """The live server runs in a thread of this process: eager tasks run there, as a worker would."""
    from crm.celery_app import app

    # read before the setting changes: the first read of app.conf loads it from the Django settings
    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def supervisor(world):
    county_a = world.route_a.org_unit.parent
    return user_create(
        username="sup_a",
        password=PASSWORD,
        role=User.Role.SUPERVISOR,
        org_unit=county_a,
        display_name="赵主管",
    )


def test_supervisor_imports_a_gbk_file_with_one_bad_row(
    page, live_server, world, supervisor, login, eager_celery, settings, tmp_path, monkeypatch
):
    from accounts.tasks import import_job_validate_task

    settings.MEDIA_ROOT = tmp_path / "media"
    before = Retailer.objects.count()
    # Hold the validation task back until the page is up, to see the page poll and update by itself.
    held: list[int] = []
    monkeypatch.setattr(import_job_validate_task, "delay", held.append)
    login(page, supervisor)

    page.goto(f"{live_server.url}/imports/")
    page.select_option("#id_kind", "retailers")
    page.set_input_files(
        "#id_file", files=[{"name": "老城区零售户.csv", "mimeType": "text/csv", "buffer": _gbk_file()}]
    )
    page.locator("form button[type=submit]").filter(has_text="上传并校验").click()
    page.wait_for_url(re.compile(r"/imports/\d+/$"))
    job = ImportJob.objects.get()
    expect(page.locator("#import-state")).to_have_text("已上传")
    expect(page.locator("#import-status")).to_have_attribute("hx-trigger", "every 1s")
    assert held == [job.pk]

    # The worker picks the task up (run eagerly here); the page, polling with htmx, shows the outcome:
    # the preview and the error table, without a reload.
    monkeypatch.undo()
    import_job_validate_task.delay(job.pk)
    expect(page.locator("#import-state")).to_have_text("待确认", timeout=20_000)
    assert page.url == f"{live_server.url}/imports/{job.pk}/"
    expect(page.locator("#import-status")).to_contain_text("GBK")
    expect(page.locator("#invalid-count")).to_have_text("1")
    errors = page.locator("#error-table tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("3")
    expect(errors.first).to_contain_text("手机号")
    expect(errors.first).to_contain_text("0379-1234")
    expect(page.locator("#import-status")).to_contain_text("老城金叶烟酒行")  # the preview
    expect(page.locator("#import-status")).to_contain_text("邙山食杂店")
    assert Retailer.objects.count() == before  # nothing written before the commit

    # The error report downloads as a CSV Excel opens (UTF-8 with BOM) with the row, column, value and reason.
    with page.expect_download() as download_info:
        page.locator("#error-report").click()
    download = download_info.value
    assert download.suggested_filename == f"import-{job.pk}-errors.csv"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    report = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert report[0] == ["行号", "列", "值", "错误说明"]
    assert len(report) == 2
    assert report[1][:3] == ["3", "手机号", "0379-1234"]
    assert "不是有效的" in report[1][3]

    # Commit the good rows only.
    page.locator("#mode-valid").check()
    page.locator("#commit-button").click()
    expect(page.locator("#import-state")).to_have_text("已完成", timeout=20_000)
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text(re.compile(r"新增\s*2"))
    expect(summary).to_contain_text(re.compile(r"拒绝\s*1"))
    expect(page.locator("#commit-form")).to_have_count(0)

    assert Retailer.objects.count() == before + 2
    assert set(
        Retailer.objects.filter(customer_code__startswith="BT-I").values_list("shop_name", flat=True)
    ) == {
        "老城金叶烟酒行",
        "邙山食杂店",
    }
    job.refresh_from_db()
    assert (job.status, job.mode, job.created_count, job.rejected_count) == ("done", "valid", 2, 1)
