"""The tier card in a real browser at 390 px: a customer manager reads it on a shop's portrait, the retailer reads
its own on its hub and files "对档位有异议", which becomes a case with a deadline. In Chinese and in English, and no
page scrolls sideways. Set SHOTS_DIR (e.g. artifacts/tier-card) to keep the screenshots."""

import datetime
import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps
from playwright.sync_api import expect

from core.links import retailer_link_make
from feedback.appeals.models import TierAppeal
from feedback.portal.links import PORTAL
from sales.services import period_summaries_rebuild
from segmentation.tiers.models import TierRule
from segmentation.tiers.services import tier_proposal_create, tier_proposal_publish
from tests.sales.factories import OrderFactory, ProductFactory
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAY = datetime.date(2025, 5, 6)


def _shot(page, name, locator=None):
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        target = locator if locator is not None else page
        kwargs = {} if locator is not None else {"full_page": True}
        target.screenshot(path=str(Path(folder) / f"{name}.png"), **kwargs)


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"


def _english(page, live_server):
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])


@pytest.fixture
def graded(world):
    """The three shops of route LC-01 graded for May 2025 and published: 甲号便利店 40 cartons at 150 元,
    甲号烟酒店 60 at 250 元, 西关副食店 15 at 100 元 — one shop per tier from 30 down."""
    importlib.import_module("sales.migrations.0002_default_price_bands").create_bands(apps, None)
    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)
    importlib.import_module("feedback.migrations.0014_tier_appeals").seed_category(apps, None)
    product = ProductFactory(
        code="6901028180566",
        brand="双喜",
        name="红双喜（硬）",
    )
    for shop, cartons, price in (
        (world.shop_a1, 40, 15000),
        (world.shop_a2, 60, 25000),
        (world.shop_a3, 15, 10000),
    ):
        for day, n in ((datetime.date(2024, 1, 10), 1), (MAY, cartons)):
            OrderFactory(retailer=shop, ordered_on=day, lines={product: n}, price_fen=price, summaries=False)
    period_summaries_rebuild(retailer_ids=[world.shop_a1.pk, world.shop_a2.pk, world.shop_a3.pk])
    shares = [0] * 30
    shares[29] = shares[28] = shares[27] = 1
    TierRule.objects.create(weight_cartons=50, weight_amount=30, weight_avg_price=20, tier_shares=shares)
    supervisor = user_create(
        username="sup_a",
        password="Browser-test-2026",
        role=User.Role.SUPERVISOR,
        org_unit=world.route_a.org_unit.parent,
        display_name="赵主管",
    )
    proposal = tier_proposal_create(user=supervisor, period_end=datetime.date(2025, 5, 31))
    tier_proposal_publish(user=supervisor, proposal_id=proposal.pk)
    return supervisor


def test_the_tier_card_on_the_portrait_at_390(phone_page, live_server, world, graded, login):
    shop = world.shop_a1  # 2nd of 3: tier 29
    login(phone_page, world.cm_a)
    phone_page.goto(f"{live_server.url}/retailers/{shop.pk}/")
    card = phone_page.locator("#tier-card")
    card.scroll_into_view_if_needed()  # the card loads when it comes into view
    expect(card.locator("#tier-card-tier")).to_contain_text("29")
    expect(card.locator("#tier-card-components li")).to_have_count(3)
    expect(card).to_contain_text("同组百分位")
    expect(card.locator("#tier-card-move-up")).to_be_visible()
    card.scroll_into_view_if_needed()
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-card-portrait-390-zh", card)

    _english(phone_page, live_server)
    phone_page.goto(f"{live_server.url}/retailers/{shop.pk}/")
    card = phone_page.locator("#tier-card")
    card.scroll_into_view_if_needed()  # the card loads when it comes into view
    expect(card).to_contain_text("Tier card")
    expect(card).to_contain_text("group percentile")
    card.scroll_into_view_if_needed()
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-card-portrait-390-en", card)


def test_the_retailer_reads_its_card_and_files_an_appeal_at_390(phone_page, live_server, world, graded):
    shop = world.shop_a3  # the lowest: tier 28
    token = retailer_link_make(retailer_id=shop.pk, purpose=PORTAL)
    phone_page.goto(f"{live_server.url}/r/{token}/")
    card = phone_page.locator("#hub-tier-card")
    expect(card.locator("#tier-card-tier")).to_contain_text("28")
    expect(card.locator("#tier-card-move-up")).to_be_visible()
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-card-hub-390-zh", card)

    card.locator("#tier-appeal-new").click()
    phone_page.fill("#id_appeal_description", "五月进货比去年同期多，档位却是最低档。")
    _shot(phone_page, "tier-appeal-form-390-zh")
    phone_page.locator("#tier-appeal-submit").click()

    appeal = TierAppeal.objects.get(retailer=shop)
    expect(phone_page.locator("body")).to_contain_text(f"已收到您的档位异议，编号 {appeal.complaint_id}")
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-appeal-filed-390-zh")
    assert appeal.complaint.assignee == graded
    assert appeal.complaint.resolution_due is not None

    phone_page.goto(f"{live_server.url}/r/{token}/")
    expect(phone_page.locator("#hub-tier-appeals")).to_contain_text("处理中")
    _english(phone_page, live_server)
    phone_page.goto(f"{live_server.url}/r/{token}/")
    card = phone_page.locator("#hub-tier-card")
    expect(card).to_contain_text("I disagree with my tier")
    expect(card.locator("#hub-tier-appeals")).to_contain_text(f"Tier appeal #{appeal.complaint_id}")
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-card-hub-390-en", card)


def test_the_tier_page_shows_distribution_weights_and_what_generating_does(
    phone_page, second_phone, live_server, world, graded, login
):
    # a customer manager: read only
    login(phone_page, world.cm_a)
    phone_page.goto(f"{live_server.url}/segmentation/tiers/")
    expect(phone_page.locator("#tier-read-only")).to_be_visible()
    expect(phone_page.locator("#tier-proposal-create")).to_have_count(0)
    expect(phone_page.locator("#tier-whatif-link")).to_have_count(0)
    expect(phone_page.locator("#tier-distribution-table")).to_contain_text("30")
    expect(phone_page.locator("#tier-rule-weight-cartons")).to_have_text("50")
    expect(phone_page.locator("#tier-generate-explained")).to_contain_text("3 户")
    _no_sideways_scroll(phone_page)
    _shot(phone_page, "tier-page-manager-390-zh")
    # the supervisor generates, and tries other weights first
    login(second_phone, graded, "Browser-test-2026")
    second_phone.goto(f"{live_server.url}/segmentation/tiers/")
    expect(second_phone.locator("#tier-proposal-create")).to_be_visible()
    second_phone.locator("#tier-whatif-link").click()
    second_phone.fill("#w-shares", ", ".join(["0"] * 29 + ["1"]))  # everybody in tier 30
    second_phone.fill("#w-period-end", "2025-05-31")
    second_phone.locator("#tier-whatif-run").click()
    expect(second_phone.locator("#tier-whatif-moved")).to_have_text("2")  # 29 → 30 and 28 → 30
    expect(second_phone.locator("#tier-whatif-shifts")).to_contain_text("+2")
    _no_sideways_scroll(second_phone)
    _shot(second_phone, "tier-whatif-390-zh")
