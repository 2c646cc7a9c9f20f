"""The supervisor's cockpit in a real browser: from the home, the list behind a red KPI in at most two taps, on a
390 px phone and at 1280 px, in Chinese and in English, with no sideways scrolling. Set SHOTS_DIR to keep
screenshots."""

import datetime
import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Retailer
from cockpit.models import Period
from cockpit.selectors.cockpit import default_start
from cockpit.services.snapshots import kpi_snapshots_refresh
from cockpit.services.targets import target_save
from sales.models import RetailerPeriodSummary
from tests.browser.conftest import PASSWORD
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name):
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def red_order_rate(world):
    """County A's supervisor, a week in which one of its three shops ordered, and a target of 80 %: red."""
    county = world.route_a.org_unit.parent
    supervisor = user_create(
        username="sup_a", password=PASSWORD, role=User.Role.SUPERVISOR, org_unit=county, display_name="赵主管"
    )
    week = default_start(Period.WEEK, timezone.localdate())
    # the shops were on the books before that week (the world built them just now)
    Retailer.objects.update(created_at=timezone.now() - datetime.timedelta(days=400))
    RetailerPeriodSummary.objects.create(
        retailer=world.shop_a1,
        period="week",
        period_start=week,
        order_count=1,
        cartons=12,
        amount_fen=240_000,
    )
    RetailerPeriodSummary.objects.create(
        retailer=world.shop_a1,
        period="week",
        period_start=week - datetime.timedelta(days=7),
        order_count=1,
        cartons=8,
        amount_fen=150_000,
    )
    kpi_snapshots_refresh(period=Period.WEEK, start=week, with_state=True)
    kpi_snapshots_refresh(period=Period.WEEK, start=week - datetime.timedelta(days=7), with_state=True)
    target_save(
        actor=supervisor,
        data={
            "org_unit": county,
            "kpi": "order_rate",
            "period": Period.WEEK,
            "value": Decimal(80),
            "starts_on": week,
        },
    )
    return supervisor


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("device", ["phone_page", "page"])
def test_a_supervisor_opens_the_list_behind_a_red_kpi_from_the_home(
    request, live_server, login, world, red_order_rate, language, device
):
    page = request.getfixturevalue(device)  # a 390 px touch phone, or a 1280 px desktop
    width = page.viewport_size["width"]
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    login(page, red_order_rate)
    red = page.locator("#red-kpis .red-kpi").first
    expect(red).to_be_visible()
    expect(page.locator('[data-kpi="order_rate"]')).to_contain_text("33.3%")
    _shot(page, f"cockpit-home-{language}-{width}")
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"the cockpit scrolls sideways ({scrolled}px)"
    # on the phone the league tables scroll inside their own card, their names staying in view
    if width < 576:
        for card in ("#league-units", "#league-managers"):
            box = page.locator(card).bounding_box()
            assert box["x"] + box["width"] <= width
            league = page.locator(f"{card} .league")
            assert league.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits: nothing to scroll"
            league.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            assert league.evaluate("e => e.scrollLeft") > 0
            name = page.locator(f"{card} tbody .league-name").first.bounding_box()
            assert name["x"] >= league.bounding_box()["x"] - 1, "the name scrolled out of view"
        assert page.evaluate("window.scrollX") == 0

    red.click()  # one tap: the shops that did not order in the week
    rows = page.locator("#drill-rows")
    expect(rows).to_contain_text("老城甲号烟酒店")
    expect(rows).to_contain_text("西关副食店")
    expect(rows).not_to_contain_text("老城甲号便利店")  # it ordered
    expect(rows).not_to_contain_text("涧西甲号超市")  # another county
    _shot(page, f"cockpit-drill-{language}-{width}")
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"the list scrolls sideways ({scrolled}px)"
