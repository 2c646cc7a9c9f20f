"""A customer manager logs a visit on a 390-px phone with a simulated position: from the daily list to the form,
check-in by geolocation, a draft that survives a reload, a send that fails offline and goes through when the
connection returns, and one visit recorded with the distance the server computed."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import Retailer
from tests.browser.conftest import PASSWORD, PHONE
from visits.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOP = {"latitude": Decimal("34.000000"), "longitude": Decimal("112.000000")}
# 0.004° north of the shop: 4 × 111.195 m = 444.78 m, inside the 500 m radius
PHONE_POSITION = {"latitude": 34.004, "longitude": 112.0, "accuracy": 15}


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=PHONE_POSITION,
        permissions=["geolocation"],
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    page.wait_for_load_state("networkidle")
    context.close()


def test_log_a_visit_on_a_phone_with_geolocation_and_a_draft_that_survives_reload(phone, live_server, world):
    shop = world.shop_a1
    Retailer.objects.filter(pk=shop.pk).update(**SHOP)
    phone.goto(f"{live_server.url}/login/")
    phone.fill("#id_username", world.cm_a.username)
    phone.fill("#id_password", PASSWORD)
    phone.locator("#login-form button[type=submit]").click()
    phone.wait_for_url(f"{live_server.url}/")

    # the daily list: every shop of cm_a (never visited), none of cm_b's
    phone.goto(f"{live_server.url}/visits/")
    entry = phone.locator(f'.daily-entry[data-retailer="{shop.pk}"]')
    expect(entry).to_contain_text("从未走访")
    expect(phone.locator("#daily-list")).not_to_contain_text("涧西甲号超市")
    entry.locator(".start-visit").click()
    phone.wait_for_url(f"{live_server.url}/visits/retailers/{shop.pk}/new/")

    # check in, fill part of the checklist and a note
    phone.locator("#checkin-btn").click()
    expect(phone.locator("#checkin-status")).to_contain_text("已定位，精度约 15 米")
    phone.locator("label[for=licence_displayed-yes]").click()
    phone.locator("label[for=minors_sign-no]").click()
    phone.fill("#id_notes", "宣传了不向未成年人售烟规定，提醒张贴标识。")
    expect(phone.locator("#visit-state")).to_contain_text("草稿已保存在本机")

    # the phone reloads the page (a dropped tab, a refresh): everything is still there
    key = phone.locator("#id_idempotency_key").input_value()
    phone.reload()
    expect(phone.locator("#visit-state")).to_contain_text("已恢复上次未提交的草稿")
    expect(phone.locator("#id_notes")).to_have_value("宣传了不向未成年人售烟规定，提醒张贴标识。")
    expect(phone.locator("#licence_displayed-yes")).to_be_checked()
    expect(phone.locator("#minors_sign-no")).to_be_checked()
    expect(phone.locator("#checkin-status")).to_contain_text("已定位")
    assert phone.locator("#id_idempotency_key").input_value() == key

    # no signal when sending: nothing is lost, the form says it will retry, and sends when the signal is back
    phone.context.set_offline(True)
    phone.locator("#visit-submit").click()
    expect(phone.locator("#visit-state")).to_contain_text("未发送")
    assert Visit.objects.count() == 0
    phone.context.set_offline(False)
    expect(phone.locator("#visit-state")).to_contain_text("已保存", timeout=20_000)
    phone.wait_for_url(f"{live_server.url}/visits/log/*/")
    expect(phone.locator("#visit-location")).to_contain_text("位置正常")
    expect(phone.locator("#visit-location")).to_contain_text("距店铺 445 米")

    visit = Visit.objects.get()
    assert (visit.retailer_id, visit.manager_id) == (shop.pk, world.cm_a.pk)
    assert str(visit.idempotency_key) == key
    assert (visit.distance_m, visit.location_flag, visit.accuracy_m) == (445, "ok", 15)
    assert (visit.licence_displayed, visit.minors_sign, visit.price_tags) == (True, False, None)
    assert phone.evaluate(f"localStorage.getItem('visit-draft:{shop.pk}')") is None

    # the portrait shows it
    phone.goto(f"{live_server.url}/retailers/{shop.pk}/")
    phone.locator("#sec-visits > summary").tap()  # on a phone a section's panel loads when it is opened
    expect(phone.locator("#visits-recent")).to_contain_text("位置正常 445 m")
