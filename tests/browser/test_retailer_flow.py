"""A customer manager's day in a real browser: log in, find a shop, read its portrait, correct its record."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from accounts.models import Retailer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _licence(retailer: Retailer) -> str:
    return Retailer.objects.values_list("licence_no", flat=True).get(pk=retailer.pk)


def test_search_portrait_and_edit_with_a_bad_licence_then_a_good_one(page, live_server, world, login):
    shop = world.shop_a1
    before = Retailer.objects.get(pk=shop.pk)
    login(page, world.cm_a)

    # Search by part of a shop name: only this manager's matching shops, never the other manager's.
    page.goto(f"{live_server.url}/retailers/")
    expect(page.locator("#results .retailer-link")).to_have_count(3)
    page.get_by_role("searchbox").fill("甲号")
    page.wait_for_url(re.compile(r"/retailers/\?q="))
    links = page.locator("#results .retailer-link")
    expect(links).to_have_count(2)
    expect(links).to_contain_text(["老城甲号", "老城甲号"])
    expect(page.locator("#results")).not_to_contain_text("涧西甲号超市")
    expect(page.locator("#results")).not_to_contain_text("西关副食店")

    # The portrait: name, licence countdown, tier, credit grade, masked mobile with a reveal button.
    links.filter(has_text="老城甲号便利店").click()
    page.wait_for_url(f"{live_server.url}/retailers/{shop.pk}/")
    expect(page.locator("h1")).to_have_text("老城甲号便利店")
    expect(page.locator("#licence-countdown")).to_contain_text("45")
    expect(page.locator("#key-facts")).to_contain_text("12")
    expect(page.locator("#key-facts")).to_contain_text("AA")
    expect(page.locator("#mobile-value")).to_contain_text("139****5678")
    expect(page.locator("#mobile-value")).not_to_contain_text("13912345678")

    # Edit: an 11-digit licence number is refused with a Chinese message and nothing is written.
    page.locator("#edit-retailer").click()
    page.wait_for_url(f"{live_server.url}/retailers/{shop.pk}/edit/")
    expect(page.locator("#id_licence_issued_on")).to_have_value(before.licence_issued_on.isoformat())
    page.fill("#id_licence_no", "41030210010")
    page.fill("#id_shop_area_m2", "14")
    page.locator("#save-retailer").click()
    expect(page.locator("#form-errors")).to_contain_text("许可证号必须是 12 位数字")
    expect(page.locator("#id_licence_no")).to_have_class(re.compile(r"\bis-invalid\b"))
    assert _licence(shop) == before.licence_no
    assert Retailer.objects.get(pk=shop.pk).shop_area_m2 == before.shop_area_m2

    # A holder-type digit of 3 (only 1 individual or 2 company exist) is refused too.
    page.fill("#id_licence_no", "410302300101")
    page.locator("#save-retailer").click()
    expect(page.locator("#form-errors")).to_contain_text("第 7 位是持证人类型")
    assert _licence(shop) == before.licence_no

    # The tier and the credit grade are shown but not editable here (their engines change them).
    expect(page.locator("#id_tier")).to_be_disabled()
    expect(page.locator("#id_credit_grade")).to_be_disabled()

    # Corrected (the holder is a company: type 2) and saved, with the shop area changed alongside.
    page.fill("#id_licence_no", "410302200101")
    page.fill("#id_shop_area_m2", "14")
    page.locator("#save-retailer").click()
    page.wait_for_url(f"{live_server.url}/retailers/{shop.pk}/")
    expect(page.get_by_role("alert")).to_contain_text("已保存修改")
    after = Retailer.objects.get(pk=shop.pk)
    assert (after.licence_no, after.shop_area_m2, after.tier) == ("410302200101", 14, before.tier)
    assert after.updated_at > before.updated_at
    # The change history on the portrait names the new value.
    expect(page.locator("#history")).to_contain_text("410302200101")


def test_filter_chips_narrow_the_list_without_a_reload(page, live_server, world, login):
    login(page, world.cm_a)
    page.goto(f"{live_server.url}/retailers/")
    page.get_by_role("button", name="筛选").click()
    page.locator("#filter-panel").get_by_text("AA", exact=True).click()
    page.wait_for_url(re.compile(r"credit_grade=AA(&|$)"))
    links = page.locator("#results .retailer-link")
    expect(links).to_have_count(1)
    expect(links).to_have_text("老城甲号便利店")
    # The page was not reloaded: the chip stays checked and the panel stays open.
    expect(page.locator("#filter-panel input[value=AA]")).to_be_checked()
    expect(page.locator("#filter-panel")).to_be_visible()


def test_a_manager_gets_404_for_another_managers_retailer(page, live_server, world, login):
    login(page, world.cm_a)
    response = page.goto(f"{live_server.url}/retailers/{world.shop_b1.pk}/")
    assert response.status == 404
    expect(page.locator("body")).not_to_contain_text("涧西甲号超市")
    expect(page.locator("h1")).to_contain_text("找不到")
    response = page.goto(f"{live_server.url}/retailers/{world.shop_b1.pk}/edit/")
    assert response.status == 404
    # The way back to the manager's own list is on the error page.
    page.get_by_role("link", name="返回客户列表").click()
    expect(page.locator("#results .retailer-link")).to_have_count(3)


def test_phone_list_shows_cards_and_the_portrait_is_usable(phone_page, live_server, world, login):
    page = phone_page
    login(page, world.cm_a)
    page.goto(f"{live_server.url}/retailers/")
    cards = page.locator("#results a.retailer-card")
    expect(cards).to_have_count(3)
    expect(cards.first).to_be_visible()
    expect(page.locator("#results table")).to_be_hidden()
    expect(cards.filter(has_text="老城甲号便利店")).to_contain_text("45")  # licence countdown on the card
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    cards.filter(has_text="老城甲号便利店").click()
    page.wait_for_url(f"{live_server.url}/retailers/{world.shop_a1.pk}/")
    expect(page.locator("#key-facts")).to_be_in_viewport()
    expect(page.locator("#licence-countdown")).to_contain_text("45")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Reveal the full number (logged server-side) and get a tap-to-call link: on a phone the owner's section opens
    # with a tap (the summary and the action bar come first).
    page.locator("#sec-contact > summary").tap()
    mobile = page.locator("#mobile-value")
    mobile.get_by_role("button", name="显示").tap()
    expect(mobile.locator("a[href='tel:13912345678']")).to_be_visible()
    expect(mobile).to_contain_text("13912345678")
    # The edit button is reachable and big enough to tap (Apple's and Google's 44/48 px guidance, loosely).
    edit = page.locator("#edit-retailer")
    expect(edit).to_be_visible()
    assert edit.bounding_box()["height"] >= 36


def test_language_switch_to_english_and_back(page, live_server, world, login):
    login(page, world.cm_a)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.locator("select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("select[name=language]")).to_have_value("en")
    if (Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.mo").exists():
        # With an English catalogue the navigation is no longer in Chinese.
        nav = page.locator("#mainNav a[href='/retailers/']").inner_text()
        assert not re.search(r"[\u4e00-\u9fff]", nav), nav
    page.locator("select[name=language]").select_option("zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
