"""The import pages: upload form, progress/preview/errors page (and its htmx partial), commit, cancel,
the error report and the templates."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from accounts.imports.models import ImportJob
from accounts.models import Retailer
from tests.imports.helpers import csv_bytes, retailer_row, validated_job


@pytest.fixture
def browser(client_for, county_a_world):
    return client_for(county_a_world)


def post_upload(client, rows, *, name="零售户.csv", encoding="gbk", **extra):
    data = {
        "kind": "retailers",
        "file": SimpleUploadedFile(name, csv_bytes(rows, encoding=encoding)),
        "mode": "valid",
        "encoding": "",
        **extra,
    }
    return client.post("/imports/", data)


def test_the_upload_page_offers_kinds_modes_encodings_and_templates(browser):
    response = browser.get("/imports/")
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "上传并校验",
        "只导入正确的行",
        "全部导入（有错误则不导入）",
        "GB18030",
        "/imports/template/orders.csv",
    ):
        assert text in page


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_upload_redirects_to_the_job_page_which_shows_preview_and_errors(
    browser, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_upload(browser, [retailer_row(1), retailer_row(2, 档位="99")])
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/{job.pk}/"
    page = browser.get(response["Location"]).content.decode()
    assert "待确认" in page
    assert "GBK" in page
    assert "档位应为 1–30 的整数。" in page
    assert 'id="error-table"' in page
    assert "老城第1号便利店" in page  # the preview
    assert "确认导入（1 行正确）" in page
    assert 'hx-trigger="every 1s"' not in page  # nothing running: no polling


def test_a_running_job_page_polls_and_htmx_gets_the_partial(browser, county_a_world):
    from accounts.imports.services import import_job_create
    from tests.imports.helpers import upload

    job = import_job_create(
        user=county_a_world, kind="retailers", upload=upload(csv_bytes([retailer_row(1)])), enqueue=False
    )
    page = browser.get(f"/imports/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    assert "<html" in page
    partial = browser.get(f"/imports/{job.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="import-status"')
    assert "<html" not in partial


def test_upload_form_errors_answer_400_with_the_message(browser):
    response = post_upload(browser, [retailer_row(1)], name="data.pdf")
    assert response.status_code == 400
    assert "只支持 CSV 或 Excel（.xlsx）文件。" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_commit_and_cancel_through_the_page(browser, county_a_world):
    job = validated_job(
        user=county_a_world, content=csv_bytes([retailer_row(1), retailer_row(2, 手机号="1")])
    )
    # all-or-nothing with an error: a message, nothing written
    response = browser.post(f"/imports/{job.pk}/commit/", {"mode": "all"}, follow=True)
    assert "文件有 1 行错误" in response.content.decode()
    assert not Retailer.objects.exists()
    other = validated_job(user=county_a_world, content=csv_bytes([retailer_row(3)]))
    response = browser.post(f"/imports/{other.pk}/cancel/", follow=True)
    assert "已取消，未导入任何数据。" in response.content.decode()
    other.refresh_from_db()
    assert other.status == ImportJob.Status.CANCELLED


@override_settings(CELERY_TASK_ALWAYS_EAGER=True)
def test_commit_valid_rows_through_the_page_shows_the_summary(
    browser, county_a_world, celery_eager, django_capture_on_commit_callbacks
):
    job = validated_job(
        user=county_a_world, content=csv_bytes([retailer_row(1), retailer_row(2, 手机号="1")])
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/imports/{job.pk}/commit/", {"mode": "valid"})
    assert response.status_code == 302
    page = browser.get(f"/imports/{job.pk}/").content.decode()
    assert "已完成" in page
    assert 'id="import-summary"' in page
    assert Retailer.objects.count() == 1
    # a second click: a message, no second import
    response = browser.post(f"/imports/{job.pk}/commit/", {"mode": "valid"}, follow=True)
    assert "不能提交" in response.content.decode()


def test_the_error_report_downloads_as_csv_with_chinese_labels(browser, county_a_world):
    job = validated_job(
        user=county_a_world, content=csv_bytes([retailer_row(1, 手机号="110", 许可证号="410302300001")])
    )
    response = browser.get(f"/imports/{job.pk}/errors.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0] == ["行号", "列", "值", "错误说明"]
    assert {(r[0], r[1], r[2]) for r in rows[1:]} == {
        ("2", "许可证号", "410302300001"),
        ("2", "手机号", "110"),
    }


def test_another_users_job_pages_answer_404(client_for, county_a_world, county_b):
    from tests.users.factories import SupervisorFactory

    job = validated_job(user=county_a_world, content=csv_bytes([retailer_row(1)]))
    other = client_for(SupervisorFactory(org_unit=county_b))
    for url in (f"/imports/{job.pk}/", f"/imports/{job.pk}/errors.csv"):
        assert other.get(url).status_code == 404
    for url in (f"/imports/{job.pk}/commit/", f"/imports/{job.pk}/cancel/"):
        assert other.post(url).status_code == 404
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED


def test_a_customer_manager_may_not_open_the_upload_page(client_for, manager_a):
    assert client_for(manager_a).get("/imports/").status_code == 403


@pytest.mark.parametrize("kind", ["retailers", "products", "orders"])
def test_templates_carry_the_chinese_headers_the_import_understands(browser, kind):
    from accounts.imports.reader import map_header
    from accounts.imports.spec import spec_for

    response = browser.get(f"/imports/template/{kind}.csv")
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header = next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    spec = spec_for(kind)
    mapping, unknown = map_header(header, spec.aliases)
    assert unknown == []
    assert set(spec.required) <= set(mapping)
    assert all(
        any("\u4e00" <= ch <= "\u9fff" for ch in title) for title in header if title not in spec.aliases
    )


def test_unknown_template_is_404(browser):
    assert browser.get("/imports/template/customers.csv").status_code == 404
