"""Each role's first task from its home, as people do it: a customer manager on a 390-px phone starts today's next
visit and calls back a low rating (the number revealed and logged); an administrator sees a failed periodic task.
Screenshots of the homes and the portrait at 390 and 1280 px, in Chinese and English, go to artifacts/."""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import SensitiveAccess
from feedback.complaints.models import Complaint
from feedback.complaints.services.intake import complaint_open
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, log_in
from tests.segmentation.factories import RetailerScoreFactory, ScoringRunFactory
from tests.visits.factories import VisitPlanFactory
from users.models import User
from users.services import user_create
from workspace.models import TaskRun

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts"


@pytest.fixture
def categories(transactional_db):
    from importlib import import_module

    from django.apps import apps

    import_module("feedback.migrations.0002_default_categories").seed(apps, None)


@pytest.fixture
def day(world, categories):
    """shop_a1 planned today; shop_a2 rated a complaint's follow-up 1 yesterday; a nightly task failed."""
    today = timezone.localdate()
    VisitPlanFactory(retailer=world.shop_a1, planned_on=today)
    case = complaint_open(
        retailer=world.shop_a2, category_code="supply", description="送货晚了两天", channel="phone"
    )
    at = timezone.now() - datetime.timedelta(days=1)
    Complaint.objects.filter(pk=case.pk).update(
        status=Complaint.Status.CLOSED,
        opened_at=at - datetime.timedelta(days=2),
        responded_at=at - datetime.timedelta(days=2),
        resolved_at=at - datetime.timedelta(hours=20),
        closed_at=at - datetime.timedelta(hours=20),
        rating=1,
        rated_at=at,
    )
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    cron = CrontabSchedule.objects.create(minute="0", hour="2")
    PeriodicTask.objects.create(
        name="segmentation-nightly", task="segmentation.scoring_run_nightly", crontab=cron, last_run_at=at
    )
    TaskRun.objects.create(
        task_id="t-1",
        task_name="segmentation.scoring_run_nightly",
        periodic_task_name="segmentation-nightly",
        started_at=timezone.now() - datetime.timedelta(hours=3),
        finished_at=timezone.now() - datetime.timedelta(hours=3) + datetime.timedelta(seconds=42),
        duration_ms=42000,
        outcome=TaskRun.Outcome.FAILURE,
        error="OperationalError: canceling statement due to statement timeout",
    )
    return world


def _context(browser, viewport, *, language="zh-hans", live_server=None):
    phone = viewport == PHONE
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    context.set_default_timeout(10_000)
    if language != "zh-hans":
        context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    return context


def _close(context, page):
    """Wait for the page's htmx panels before closing: a request the live server is still answering would deadlock
    with the flush of the database that follows the test."""
    page.wait_for_load_state("networkidle")
    context.close()


def test_a_manager_starts_the_next_visit_and_calls_back_a_low_rating_on_a_phone(browser, live_server, day):
    context = _context(browser, PHONE)
    page = context.new_page()
    log_in(page, live_server.url, day.cm_a)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#ws-visit-progress")).to_contain_text("0 / 1")
    expect(page.locator("#ws-next-visit")).to_contain_text(day.shop_a1.shop_name)
    expect(page.locator("body")).not_to_contain_text(day.shop_b1.shop_name)  # the other manager's shop

    # one tap: today's next visit
    page.locator("#ws-start-visit").tap()
    page.wait_for_url(f"{live_server.url}/visits/retailers/{day.shop_a1.pk}/new/")

    # call back the low rating: the masked number, one tap reveals it (logged) and turns it into a call link
    page.goto(f"{live_server.url}/")
    row = page.locator(f'.ws-callback[data-retailer="{day.shop_a2.pk}"]')
    expect(row).to_contain_text("投诉回访评 1 分")
    expect(row).to_contain_text(day.shop_a2.mobile[:3] + "****" + day.shop_a2.mobile[-4:])
    expect(row).not_to_contain_text(day.shop_a2.mobile)
    assert not SensitiveAccess.objects.exists()
    row.locator(".ws-call-btn").tap()
    expect(row.locator(f"a[href='tel:{day.shop_a2.mobile}']")).to_be_visible()
    access = SensitiveAccess.objects.get()
    assert (access.user_id, access.retailer_id, access.field, access.via) == (
        day.cm_a.pk,
        day.shop_a2.pk,
        "mobile",
        "page",
    )
    _close(context, page)


def test_the_portrait_puts_the_summary_and_the_actions_on_the_first_screen(browser, live_server, day):
    context = _context(browser, PHONE)
    page = context.new_page()
    log_in(page, live_server.url, day.cm_a)
    page.goto(f"{live_server.url}/retailers/{day.shop_a1.pk}/")
    bar = page.locator("#portrait-actions")
    expect(bar).to_be_in_viewport()
    for name in ("开始走访", "拨打", "导航", "登记投诉"):
        expect(bar).to_contain_text(name)
    box = page.locator("#pa-start-visit").bounding_box()
    assert box["height"] >= 44
    expect(page.locator("#licence-countdown")).to_contain_text("剩 45 天")
    expect(page.locator("#licence-status")).to_contain_text("剩 45 天")  # the same words in both places
    expect(page.locator("#fact-cases")).to_be_in_viewport()
    expect(page.locator("#fact-points")).to_be_in_viewport()
    expect(page.locator("#sec-history")).not_to_have_attribute("open", "")
    assert page.evaluate("document.documentElement.scrollHeight") < 2000
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # the call button reveals the number in place (logged), ready to dial
    page.locator("#pa-call-btn").tap()
    expect(page.locator(f"#pa-call a[href='tel:{day.shop_a1.mobile}']")).to_be_visible()
    assert SensitiveAccess.objects.filter(retailer=day.shop_a1, field="mobile").count() == 1
    # a section opens with a tap
    page.locator("#sec-contact > summary").tap()
    expect(page.locator("#mobile-value")).to_be_visible()
    _close(context, page)


def test_an_admin_sees_a_failed_periodic_task_on_the_home(browser, live_server, day):
    admin = user_create(username="admin_bt", password=PASSWORD, role=User.Role.ADMIN, is_staff=True)
    context = _context(browser, DESKTOP)
    page = context.new_page()
    log_in(page, live_server.url, admin)
    failures = page.locator("#health-failures")
    expect(failures).to_contain_text("segmentation-nightly")
    expect(failures).to_contain_text("statement timeout")
    expect(page.locator('[data-schedule="segmentation-nightly"]')).to_contain_text("失败")
    page.locator('[data-schedule="segmentation-nightly"] a').click()
    expect(page).to_have_url(f"{live_server.url}/admin/django_celery_beat/periodictask/{_task_id()}/change/")
    _close(context, page)


def _a_fuller_day(world):
    """For the screenshots: an overdue case assigned to the manager, a licence expired long ago, a high-value shop at
    risk."""
    from accounts.models import Retailer
    from segmentation.scoring.models import RetailerScore

    case = complaint_open(retailer=world.shop_a3, category_code="supply", description="断货", channel="phone")
    now = timezone.now()
    Complaint.objects.filter(pk=case.pk).update(
        assignee=world.cm_a,
        response_due=now - datetime.timedelta(hours=3),
        resolution_due=now - datetime.timedelta(hours=1),
    )
    expired = timezone.localdate() - datetime.timedelta(days=840)
    Retailer.objects.filter(pk=world.shop_a3.pk).update(
        licence_issued_on=expired - datetime.timedelta(days=1800), licence_expires_on=expired
    )
    RetailerScoreFactory(
        retailer=world.shop_a2,
        run=ScoringRunFactory(finished_at=now),
        computed_at=now,
        r_score=2,
        m_score=5,
        lifecycle=RetailerScore.Lifecycle.AT_RISK,
        value_class=RetailerScore.ValueClass.HIGH,
        churn_probability=0.72,
        recency_days=26,
    )


def _task_id():
    from django_celery_beat.models import PeriodicTask

    return PeriodicTask.objects.get(name="segmentation-nightly").pk


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_screenshots_of_the_homes_and_the_portrait(browser, live_server, day, language):
    admin = user_create(username="admin_shot", password=PASSWORD, role=User.Role.ADMIN, is_staff=True)
    _a_fuller_day(day)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
        context = _context(browser, viewport, language=language, live_server=live_server)
        page = context.new_page()
        log_in(page, live_server.url, day.cm_a)
        page.wait_for_load_state("networkidle")
        if language == "en":
            expect(page.locator("#ws-today")).to_contain_text("Today's visits")
        page.screenshot(path=str(SHOTS / f"workspace-manager-{label}-{language}.png"), full_page=True)
        page.goto(f"{live_server.url}/retailers/{day.shop_a1.pk}/")
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"portrait-{label}-{language}.png"), full_page=True)
        _close(context, page)
        context = _context(browser, viewport, language=language, live_server=live_server)
        page = context.new_page()
        log_in(page, live_server.url, admin)
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / f"home-admin-{label}-{language}.png"), full_page=True)
        _close(context, page)
