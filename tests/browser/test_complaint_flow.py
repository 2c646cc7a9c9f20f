"""Complaints in a real browser. On a 390 px phone a retailer opens its link, files a complaint with a photo and
sees it in its list; at the desk its customer manager takes it up and resolves it, and the case's timeline shows
every step. Set SHOTS_DIR to keep screenshots of each page (1280 and 390 px) for a human to look at."""

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import expect

from core.links import retailer_link_make
from feedback.complaints.models import Complaint
from feedback.portal.links import PORTAL
from tests.feedback.factories import PNG_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def categories(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the uploaded photo stays out of .data/media
    # a transactional test before this one may have flushed what the data migration seeded
    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)


def test_a_retailer_files_a_complaint_on_a_phone_and_sees_it_in_its_list(
    phone_page, live_server, world, categories, tmp_path
):
    shop = world.shop_a1
    token = retailer_link_make(retailer_id=shop.pk, purpose=PORTAL)
    photo = tmp_path / "shelf.png"
    photo.write_bytes(PNG_BYTES)

    phone_page.goto(f"{live_server.url}/r/{token}/complaints/")
    expect(phone_page.locator("#my-complaints")).to_contain_text("您还没有提交过投诉或建议")
    _shot(phone_page, "public-list-empty-390")
    phone_page.locator("#file-complaint").click()
    phone_page.locator("label[for=kind-complaint]").click()
    phone_page.select_option("#id_category", "delivery")
    phone_page.fill("#id_description", "11 月 23 日的货少送了两条黄金叶（天叶），请尽快补送。")
    phone_page.set_input_files("#id_photo", str(photo))
    _shot(phone_page, "public-new-390")
    phone_page.locator("#public-complaint-form button[type=submit]").click()

    complaint = Complaint.objects.get()
    expect(phone_page.locator("#filed-message")).to_contain_text(f"已收到，编号 {complaint.pk}")
    expect(phone_page.locator("#public-timeline")).to_contain_text("受理")
    _shot(phone_page, "public-detail-390")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    phone_page.get_by_text("我的投诉与建议").first.click()
    expect(phone_page.locator("#my-complaints")).to_contain_text("配送服务")
    expect(phone_page.locator("#my-complaints")).to_contain_text("已受理")
    _shot(phone_page, "public-list-390")
    assert (complaint.retailer_id, complaint.channel, complaint.assignee_id) == (
        shop.pk,
        "web",
        world.cm_a.pk,
    )
    assert complaint.photos.count() == 1


def test_the_manager_takes_up_and_resolves_the_case_from_the_list(
    page, live_server, world, categories, login
):
    from feedback.complaints.services.intake import complaint_open

    complaint = complaint_open(
        retailer=world.shop_a2,
        category_code="supply",
        description="连续三周订不到软中华。",
        channel=Complaint.Channel.HOTLINE,
    )
    login(page, world.cm_a)
    page.goto(f"{live_server.url}/service/complaints/")
    expect(page.locator("#complaint-rows")).to_contain_text("老城甲号烟酒店")
    _shot(page, "staff-list-1280")
    page.locator(f"#complaint-rows a[href='/service/complaints/{complaint.pk}/']").click()
    page.get_by_role("button", name="开始处理").click()
    expect(page.locator(".alert")).to_contain_text("已开始处理")
    page.fill("#resolution", "已向货源部门申请调剂，本周补供 2 条。")
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.locator("#complaint-timeline")).to_contain_text("已解决")
    expect(page.locator("#complaint-summary")).to_contain_text("电话回访")  # no SMS consent
    _shot(page, "staff-detail-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    _shot(page, "staff-detail-390")
    page.goto(f"{live_server.url}/service/complaints/report/")
    expect(page.locator("#fig-total")).to_have_text("1")
    _shot(page, "staff-report-390")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/service/complaints/report/")
    _shot(page, "staff-report-1280")
    page.goto(f"{live_server.url}/retailers/{world.shop_a2.pk}/")
    page.locator("#retailer-complaints").scroll_into_view_if_needed()  # a section's panel loads when in view
    expect(page.locator("#retailer-complaints")).to_contain_text("没有未办结的投诉")
    _shot(page, "portrait-1280")
    complaint.refresh_from_db()
    assert complaint.status == Complaint.Status.RESOLVED
