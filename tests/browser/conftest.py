"""Browser tests: real Chromium (Debian's, through Playwright) against pytest-django's live server.

The data is built through the app's own services, as a data import would, and committed (transactional_db) so
the live server's threads see it. Two county bureaus, one customer manager each:

    county A 老城区 (410302) ── 老城营销一部 ── route LC-01 (cm_a) ── 老城甲号便利店, 老城甲号烟酒店, 西关副食店
    county B 涧西区 (410305) ── 涧西营销一部 ── route JX-01 (cm_b) ── 涧西甲号超市
"""

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Retailer
from tests.accounts.factories import RetailerFactory
from users.models import OrgUnit, Route, User
from users.services import org_unit_create, route_create, user_create

# Playwright's sync API runs an event loop in this thread; Django's ORM, called from the test body, would then
# refuse to run ("you cannot call this from an async context"). The ORM calls here are plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Browser-test-2026"
REGION_A = "410302"
REGION_B = "410305"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser-failures"


@dataclass
class World:
    cm_a: User
    cm_b: User
    route_a: Route
    route_b: Route
    shop_a1: Retailer  # 老城甲号便利店, cm_a, licence expires in 45 days
    shop_a2: Retailer  # 老城甲号烟酒店, cm_a
    shop_a3: Retailer  # 西关副食店, cm_a (does not match "甲号")
    shop_b1: Retailer  # 涧西甲号超市, cm_b (matches "甲号" but belongs to the other manager)


def _retailer(*, route: Route, serial: int, shop_name: str, mobile: str, **extra) -> Retailer:
    """A shop of the route with the codes, licence and address the pages show (the factory's defaults otherwise)."""
    county = route.org_unit.parent
    today = timezone.localdate()
    fields = {
        "customer_code": f"BT{county.region_code}{serial:05d}",
        "licence_no": f"{county.region_code}1{serial:05d}",
        "licence_issued_on": today - datetime.timedelta(days=800),
        "licence_expires_on": today + datetime.timedelta(days=900),
        "shop_name": shop_name,
        "owner_name": "周" + shop_name[:2],
        "mobile": mobile,
        "address": f"河南省洛阳市{county.name}中州路{serial}号",
        **extra,
    }
    return RetailerFactory(route=route, **fields)


@pytest.fixture
def world(transactional_db) -> World:
    company = org_unit_create(name="浏览器测试市烟草公司", kind=OrgUnit.Kind.COMPANY)
    county_a = org_unit_create(name="老城区", kind=OrgUnit.Kind.COUNTY, parent=company, region_code=REGION_A)
    county_b = org_unit_create(name="涧西区", kind=OrgUnit.Kind.COUNTY, parent=company, region_code=REGION_B)
    dept_a = org_unit_create(name="老城营销一部", kind=OrgUnit.Kind.DEPARTMENT, parent=county_a)
    dept_b = org_unit_create(name="涧西营销一部", kind=OrgUnit.Kind.DEPARTMENT, parent=county_b)
    cm_a = user_create(
        username="cm_a", password=PASSWORD, role=User.Role.MANAGER, org_unit=dept_a, display_name="王经理"
    )
    cm_b = user_create(
        username="cm_b", password=PASSWORD, role=User.Role.MANAGER, org_unit=dept_b, display_name="李经理"
    )
    route_a = route_create(code="LC-01", name="老城一线", org_unit=dept_a, manager=cm_a, visit_weekday=1)
    route_b = route_create(code="JX-01", name="涧西一线", org_unit=dept_b, manager=cm_b, visit_weekday=2)
    today = timezone.localdate()
    return World(
        cm_a=cm_a,
        cm_b=cm_b,
        route_a=route_a,
        route_b=route_b,
        shop_a1=_retailer(
            route=route_a,
            serial=101,
            shop_name="老城甲号便利店",
            mobile="13912345678",
            licence_expires_on=today + datetime.timedelta(days=45),
            tier=12,
            credit_grade=Retailer.CreditGrade.AA,
        ),
        shop_a2=_retailer(
            route=route_a,
            serial=102,
            shop_name="老城甲号烟酒店",
            mobile="13812345679",
            business_format=Retailer.BusinessFormat.TOBACCO_LIQUOR,
        ),
        shop_a3=_retailer(route=route_a, serial=103, shop_name="西关副食店", mobile="18612345670"),
        shop_b1=_retailer(route=route_b, serial=201, shop_name="涧西甲号超市", mobile="13712345671"),
    )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, request, viewport: dict, *, mobile: bool):
    context = browser.new_context(
        viewport=viewport,
        is_mobile=mobile,
        has_touch=mobile,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    # a page can still be loading panels (htmx) when the test ends; a request the live server is still answering
    # would deadlock with the flush of the database that follows
    page.wait_for_load_state("networkidle")
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser, request):
    """A fresh browser profile (no cookies) at desktop size."""
    yield from _page(browser, request, DESKTOP, mobile=False)


@pytest.fixture
def phone_page(browser, request):
    """A fresh browser profile on a 390 px wide touch phone."""
    yield from _page(browser, request, PHONE, mobile=True)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test item so a failing test's page can be saved for a human to look at.
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def log_in(page, base_url: str, user: User, password: str = PASSWORD):
    """The real login form and, for the roles that need it (supervisors and administrators), the two-factor form
    with the code of the user's authenticator device; returns once the home page has opened."""
    from tests.users.otp import current_code, needs_otp, otp_device_for

    device = otp_device_for(user) if needs_otp(user) else None
    page.goto(f"{base_url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", password)
    page.locator("#login-form button[type=submit]").click()
    if device is not None:
        page.wait_for_url(f"{base_url}/account/2fa/verify/**")
        page.fill("#id_token", current_code(device))
        page.locator("#twofactor-verify-form button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")
    return page


@pytest.fixture
def login(live_server):
    """Log in (log_in) and check the home page greets the user."""
    from playwright.sync_api import expect

    def do(page, user: User, password: str = PASSWORD):
        log_in(page, live_server.url, user, password)
        expect(page.locator("h1")).to_contain_text(str(user))
        return page

    return do


@pytest.fixture
def second_phone(browser, request):
    """Another person's phone (a fresh profile): the retailer's own, or a colleague's. Switching users by clearing
    cookies in one profile is no real flow: a staff phone's field app (service worker, background caching) keeps
    running for the first user until they log out, which wipes it."""
    yield from _page(browser, request, PHONE, mobile=True)
