"""Defects seen on pages, each checked in real Chromium: the import history on a phone, the import help page
reached from a failed import, one highlighted menu item, the complaint list opening on the open cases with 新建,
and the scoring internals kept from supervisors."""

import importlib
import re

import pytest
from django.apps import apps
from django.utils import timezone
from playwright.sync_api import expect

from accounts.imports.models import ImportJob
from feedback.complaints.models import Complaint
from tests.browser.conftest import PASSWORD
from tests.sales.factories import ProductFactory
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def supervisor(world):
    return user_create(
        username="sup_a",
        password=PASSWORD,
        role=User.Role.SUPERVISOR,
        org_unit=world.route_a.org_unit.parent,
        display_name="赵主管",
    )


def _done_job(user, name: str) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportJob.Kind.RETAILERS,
        file="imports/test.csv",
        original_name=name,
        status=ImportJob.Status.DONE,
        created_by=user,
        total_rows=120,
        valid_rows=118,
        invalid_rows=2,
        created_count=100,
        updated_count=18,
        rejected_count=2,
        finished_at=timezone.now(),
    )


def test_the_import_history_reads_line_by_line_on_a_phone(phone_page, live_server, supervisor, login):
    _done_job(supervisor, "老城区零售户许可证台账2026年第一季度.xlsx")
    login(phone_page, supervisor)
    phone_page.goto(f"{live_server.url}/imports/")
    expect(phone_page.locator("#import-history-list")).to_be_visible()
    expect(phone_page.locator("table").filter(has_text="新增/更新/未变/拒绝")).to_be_hidden()
    item = phone_page.locator("#import-history-list li").first
    expect(item).to_contain_text("新增 100")
    name = item.locator("a").first
    box = name.bounding_box()
    # one line, not a character per line
    assert box["width"] > 200, box
    assert box["height"] < 40, box
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_failed_import_points_to_the_help_page(page, live_server, supervisor, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    from accounts.imports.services import import_job_create, import_job_validate
    from tests.imports.helpers import upload

    job = import_job_create(
        user=supervisor, kind="retailers", upload=upload("店名,地址\r\n甲,乙\r\n".encode()), enqueue=False
    )
    import_job_validate(job_id=job.pk)
    login(page, supervisor)
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    expect(page.locator("#import-state")).to_have_text("失败")
    page.locator("#import-help-link").click()
    page.wait_for_url(re.compile(r"/imports/help/"))
    section = page.locator("#kind-retailers")
    expect(section).to_be_visible()
    expect(section.locator('tr[data-field="licence_no"]')).to_contain_text("许可证号")
    expect(section.locator('tr[data-field="licence_issued_on"]')).to_contain_text("45296")


@pytest.mark.parametrize("path", ["/loyalty/", "/retailers/quality/", "/imports/", "/"])
def test_exactly_one_menu_item_is_highlighted(page, live_server, supervisor, login, path):
    login(page, supervisor)
    page.goto(f"{live_server.url}{path}")
    active = page.locator("nav .navbar-nav > .nav-item > .nav-link.active")
    expect(active).to_have_count(1)


def test_the_complaint_list_opens_on_open_cases_and_offers_new(page, live_server, world, supervisor, login):
    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)
    from feedback.complaints.services.intake import complaint_open

    still_open = complaint_open(
        retailer=world.shop_a1, category_code="delivery", description="送货晚了两天", channel="phone"
    )
    closed = complaint_open(
        retailer=world.shop_a2, category_code="delivery", description="早已处理完的旧事", channel="phone"
    )
    Complaint.objects.filter(pk=closed.pk).update(status=Complaint.Status.CLOSED, resolved_at=timezone.now())
    login(page, supervisor)
    page.goto(f"{live_server.url}/service/complaints/")
    rows = page.locator("#complaint-rows")
    expect(rows).to_contain_text(f"#{still_open.pk}")
    expect(rows).not_to_contain_text(f"#{closed.pk} ")
    expect(page.locator("select[name=status]")).to_have_value("open")
    page.select_option("select[name=status]", "")
    page.locator("#complaint-filters button[type=submit]").click()
    expect(page.locator("#complaint-rows")).to_contain_text(f"#{closed.pk}")
    expect(page.locator("#complaint-new")).to_be_visible()


def test_chart_amounts_read_as_the_rest_of_the_ui(page, live_server, supervisor, login):
    """The value-class chart's amount axis and tooltips go through crmMoney: ¥5,704.2万, not 57042112."""
    login(page, supervisor)
    page.goto(f"{live_server.url}/segmentation/explorer/")
    assert page.evaluate("window.crmMoney(57042112)") == "¥5,704.2万"
    assert page.evaluate("window.crmMoney(8600)") == "¥8,600"
    page.evaluate("document.documentElement.lang = 'en'")
    assert page.evaluate("window.crmMoney(57042112)") == "¥57.0M"
    assert "/static/js/pages/explorer.js" in page.content()
    script = page.request.get(f"{live_server.url}/static/js/pages/explorer.js").text()
    assert "crmMoney(v)" in script  # the amount axis and its tooltips use it


def test_the_visit_form_keeps_submit_in_reach_and_the_draft_note_small(phone_page, live_server, world, login):
    login(phone_page, world.cm_a)
    phone_page.goto(f"{live_server.url}/visits/retailers/{world.shop_a1.pk}/new/")
    submit = phone_page.locator("#visit-submit")
    bar = phone_page.locator("#visit-actions")
    for scroll in (0, 600):
        phone_page.evaluate(f"window.scrollTo(0, {scroll})")
        box = submit.bounding_box()
        # on screen, scrolled or not
        assert box["y"] >= 0, (scroll, box)
        assert box["y"] + box["height"] <= 844, (scroll, box)
        assert bar.bounding_box()["height"] < 70  # one line beside the button, not a banner over the form
    phone_page.fill("#id_notes", "检查了陈列。")
    expect(phone_page.locator("#visit-state")).to_contain_text("草稿已保存在本机")
    assert bar.bounding_box()["height"] < 70


def test_the_campaign_editor_shows_audience_preview_and_a_searchable_product_picker(
    page, live_server, world, supervisor, login
):
    from segmentation.segments.services import segment_create
    from tests.campaigns.factories import TemplateFactory, sms_body

    county = world.route_a.org_unit.parent
    segment = segment_create(
        user=supervisor, name="老城全部客户", org_unit=county, definition={"op": "and", "rules": []}
    )
    template = TemplateFactory(
        name="新品通知",
        org_unit=county,
        body=sms_body("{{ owner_name }}您好，本周新品到货。"),
        created_by=supervisor,
    )
    for code, brand, name in (
        ("P1", "七匹狼", "七匹狼（红）"),
        ("P2", "中华", "中华（硬）"),
        ("P3", "黄金叶", "黄金叶（天叶）"),
    ):
        ProductFactory(
            code=code,
            brand=brand,
            name=name,
        )
    login(page, supervisor)
    page.goto(f"{live_server.url}/campaigns/new/")
    page.select_option("#id_segment", str(segment.pk))
    expect(page.locator("#audience-count")).to_contain_text("3")  # cm_a's three shops in county A
    page.select_option("#id_template", str(template.pk))
    expect(page.locator("#message-preview #preview-text")).to_contain_text("本周新品到货")
    # the product picker: searchable, names said once
    expect(page.locator("#id_promoted_products")).to_be_hidden()
    page.fill(".picker-search", "七匹")
    visible = page.locator(".picker-option:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_have_text("七匹狼（红）")
    visible.click()
    expect(page.locator(".picker-chip")).to_have_text("七匹狼（红） ×")
    selected = page.eval_on_selector(
        "#id_promoted_products", "s => Array.from(s.selectedOptions).map(o => o.text)"
    )
    assert selected == ["七匹狼（红）"]
