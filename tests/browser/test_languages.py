"""English is whole, Chinese too, in a real browser: the login page switches language before anyone logs in and
follows the browser's language until then; the navbar is one row at 1280 px; no page of a customer manager, a
supervisor or an administrator scrolls sideways on a 390-px phone, in either language; the complaint timeline
reads in the reader's language. Screenshots of the login page and a complaint's timeline, at 390 and 1280 px, in
Chinese and English, go to artifacts/screens/."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, Delivery
from campaigns.services.snapshot import deliveries_snapshot
from feedback.complaints.services.follow_up import complaint_rate
from feedback.complaints.services.intake import complaint_open
from feedback.complaints.services.workflow import complaint_note_add, complaint_resolve, complaint_start
from tests.browser.conftest import DESKTOP, PASSWORD, PHONE, log_in
from tests.campaigns.factories import CampaignFactory, TemplateFactory
from tests.visits.factories import VisitPlanFactory
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "artifacts" / "screens"
LANGUAGES = ("zh-hans", "en")
# the browser's own language in each case: the page must follow it with no choice made
BROWSER_LOCALE = {"zh-hans": "zh-CN", "en": "en-US"}


def _context(browser, viewport, language):
    phone = viewport == PHONE
    context = browser.new_context(
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        locale=BROWSER_LOCALE[language],
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    return context


def _shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _settled(page):
    """The page and its htmx panels (hx-trigger="load") in place: an element carries .htmx-request from its request
    until its content is swapped in, and a panel's own panels start before that mark goes."""
    page.wait_for_load_state("load")
    expect(page.locator(".htmx-request")).to_have_count(0)


def _close(context, page):
    page.wait_for_load_state(
        "networkidle"
    )  # no request left for the live server when the database is flushed
    context.close()


@pytest.fixture
def categories(transactional_db):
    from importlib import import_module

    from django.apps import apps

    import_module("feedback.migrations.0002_default_categories").seed(apps, None)


@pytest.fixture
def office(world, categories):
    """County A's supervisor and a company administrator beside the world's managers; a complaint with a timeline
    the system wrote most of; a campaign with skipped deliveries (the longest reason); today's visits for cm_a."""
    county = world.route_a.org_unit.parent
    supervisor = user_create(
        username="sup_a", password=PASSWORD, role=User.Role.SUPERVISOR, org_unit=county, display_name="赵主管"
    )
    admin = user_create(
        username="admin_a",
        password=PASSWORD,
        role=User.Role.ADMIN,
        org_unit=county.parent,
        display_name="孙管理员",
        is_staff=True,
    )
    case = complaint_open(
        retailer=world.shop_a1,
        category_code="supply",
        description="连续两周断货，订不到软中华",
        channel="phone",
    )
    complaint_note_add(complaint=case, actor=supervisor, text="已联系配送中心核实库存")
    complaint_start(complaint=case, actor=world.cm_a)
    complaint_resolve(complaint=case, actor=world.cm_a, resolution="已补送两条，调整下周投放")
    complaint_rate(complaint=case, rating=5, comment="处理很快")
    template = TemplateFactory(org_unit=county, created_by=supervisor)
    campaign = CampaignFactory(
        name="新品到货通知",
        template=template,
        org_unit=county,
        created_by=supervisor,
        state=Campaign.State.SENDING,
        launched_at=timezone.now(),
    )
    deliveries_snapshot(campaign=campaign, audience=type(world.shop_a1).objects.all())
    Delivery.objects.filter(campaign=campaign, retailer__in=[world.shop_a1, world.shop_a2]).update(
        state=Delivery.State.SKIPPED, reason=Delivery.Reason.NO_VALUE
    )
    Delivery.objects.filter(campaign=campaign, retailer=world.shop_a3).update(
        state=Delivery.State.SKIPPED, reason=Delivery.Reason.LICENCE_INVALID
    )
    today = timezone.localdate()
    for index, shop in enumerate((world.shop_a1, world.shop_a2, world.shop_a3)):
        # placed, so the day route lists them with their buttons
        type(shop).objects.filter(pk=shop.pk).update(
            latitude=Decimal("34.6190") + index * Decimal("0.004"), longitude=Decimal("112.4540")
        )
        VisitPlanFactory(retailer=shop, planned_on=today)
    users = {"manager": world.cm_a, "supervisor": supervisor, "admin": admin}
    return users, case, campaign


def _pages(role, world, case, campaign):
    shop = world.shop_a1.pk
    common = [
        "/",
        "/retailers/",
        f"/retailers/{shop}/",
        "/service/complaints/",
        f"/service/complaints/{case.pk}/",
        f"/campaigns/{campaign.pk}/",
        "/service/notifications/",
    ]
    return (
        common
        + {
            "manager": ["/visits/", "/visits/route/", "/visits/log/", "/loyalty/", "/campaigns/"],
            "supervisor": [
                "/cockpit/",
                "/campaigns/",
                "/visits/coverage/",
                "/segmentation/tiers/",
                "/sales/allocation/",
                "/sales/allocation/excess/",
                "/service/complaints/report/",
                "/field/held/",
            ],
            "admin": ["/segmentation/explorer/", "/imports/", "/privacy/", "/retailers/quality/"],
        }[role]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_page_scrolls_sideways_on_a_390_px_phone(browser, live_server, world, office, language):
    """Each role's main pages, one browser profile per role; a table too wide for the phone scrolls inside its own
    card (the cockpit's league tables), never the page."""
    users, case, campaign = office
    wide = {}
    for role, user in users.items():
        context = _context(browser, PHONE, language)
        page = context.new_page()
        log_in(page, live_server.url, user)
        assert (
            page.locator("html").get_attribute("lang") == language
        )  # the browser's language, no choice made
        for path in _pages(role, world, case, campaign):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, (role, path)
            _settled(page)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > PHONE["width"] + 1:
                wide[(role, path)] = width
        if role == "manager":
            page.goto(f"{live_server.url}/service/complaints/{case.pk}/")
            _shot(page, f"complaint-timeline-390-{language}")
        _close(context, page)
    assert wide == {}


def test_the_navbar_is_one_row_at_1280_px_and_the_timeline_reads_in_the_readers_language(
    browser, live_server, world, office
):
    """The roles with the most menus, in both languages: every item and the tools on one line, the bar no taller
    than one row. The complaint's timeline, written by the system, reads in each reader's language."""
    users, case, _campaign = office
    for language in LANGUAGES:
        for role in ("supervisor", "admin"):
            context = _context(browser, DESKTOP, language)
            page = context.new_page()
            log_in(page, live_server.url, users[role])
            middles = page.evaluate(
                "[...document.querySelectorAll('#mainNav > ul > li, #mainNav > .nav-tools > *')]"
                ".map(e => e.getBoundingClientRect()).filter(r => r.width > 0)"
                ".map(r => Math.round(r.top + r.height / 2))"
            )
            assert len(middles) >= 10, (language, role)
            assert max(middles) - min(middles) <= 2, (language, role, middles)  # all on one line
            assert (
                page.evaluate("document.querySelector('nav.app-navbar').getBoundingClientRect().height") < 70
            )
            if role == "supervisor":
                page.goto(f"{live_server.url}/service/complaints/{case.pk}/")
                timeline = page.locator("#complaint-timeline")
                if language == "en":
                    expect(timeline).to_contain_text(f"Assigned by rule to {world.cm_a}")
                    expect(timeline).to_contain_text(
                        "5 out of 5: 处理很快"
                    )  # the retailer's words as written
                    expect(timeline).not_to_contain_text("按规则分派给")
                else:
                    expect(timeline).to_contain_text(f"按规则分派给 {world.cm_a}")
                    expect(timeline).to_contain_text("5 分：处理很快")
                _shot(page, f"complaint-timeline-1280-{language}")
            _close(context, page)


def test_the_login_page_follows_the_browser_and_switches_before_login(browser, live_server, world):
    """An English browser gets the English login page with no choice made; "中文" switches it (the choice is kept
    and beats the browser's language, through the login); nothing on it scrolls sideways at 390 px."""
    for viewport in (PHONE, DESKTOP):
        width = viewport["width"]
        context = _context(browser, viewport, "en")
        page = context.new_page()
        page.goto(f"{live_server.url}/login/?next=/retailers/")
        expect(page.locator("#login-form button[type=submit]")).to_have_text("Log in")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width + 1
        _shot(page, f"login-{width}-en")
        page.locator("#login-language button[value=zh-hans]").click()
        page.wait_for_url(f"{live_server.url}/login/?next=/retailers/")
        expect(page.locator("#login-form button[type=submit]")).to_have_text("登录")
        assert page.evaluate("document.scrollingElement.scrollWidth") <= width + 1
        _shot(page, f"login-{width}-zh-hans")
        if viewport == PHONE:
            page.fill("#id_username", world.cm_a.username)
            page.fill("#id_password", PASSWORD)
            page.locator("#login-form button[type=submit]").click()
            page.wait_for_url(f"{live_server.url}/retailers/")
            assert page.locator("html").get_attribute("lang") == "zh-hans"
        _close(context, page)
