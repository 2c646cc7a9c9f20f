"""Points in a real browser: a customer manager, on a phone, redeems a reward from the shop's portrait; then the
retailer opens its own link, sees the balance and the request, and redeems another reward itself."""

import datetime

import pytest
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import expect

from loyalty.ledger.models import PointsEntry
from loyalty.ledger.services import account_lock, credit
from loyalty.links import retailer_link_token
from loyalty.rewards.models import Redemption
from tests.loyalty.factories import RewardFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_redeem_a_reward_from_the_portrait_on_a_phone_then_see_it_through_the_link(
    phone_page, second_phone, live_server, world, login
):
    shop = world.shop_a1
    RewardFactory(name="电子价签（10 个）", points_price=800)
    RewardFactory(name="年度优秀客户礼盒", points_price=10000)  # out of reach
    with transaction.atomic():
        credit(
            account=account_lock(retailer_id=shop.pk),
            kind=PointsEntry.Kind.ADJUST,
            points=1500,
            expires_on=datetime.date(2027, 12, 31),
            note="活动奖励",
        )
    login(phone_page, world.cm_a)

    phone_page.goto(f"{live_server.url}/retailers/{shop.pk}/")
    phone_page.locator("#sec-points > summary").tap()  # on a phone the portrait's sections open with a tap
    panel = phone_page.locator("#retailer-points")
    expect(panel.locator("#points-balance")).to_have_text("1500")
    expect(panel.locator("#points-next-expiry")).to_contain_text("1500 积分将于 2027-12-31 到期")
    options = panel.locator("#points-redeem-form select option")
    expect(options).to_have_count(1)  # only what the balance reaches
    panel.locator("#points-redeem-form button[type=submit]").click()

    expect(panel.locator("#points-message")).to_contain_text("已兑换 电子价签（10 个），扣减 800 积分。")
    expect(panel.locator("#points-balance")).to_have_text("700")
    expect(panel.locator("#points-redemptions")).to_contain_text("已申请")
    assert Redemption.objects.get().requested_by_id == world.cm_a.pk

    # The retailer's own link (texted to the shop, never shown to staff) opens without a login.
    RewardFactory(name="烟盒收纳架", points_price=500)
    expect(panel.locator("#points-link")).to_contain_text("员工不能查看或复制该链接")
    link = f"{live_server.url}{reverse('loyalty:link', args=[retailer_link_token(retailer_id=shop.pk)])}"
    phone_page = second_phone  # the shop owner's own phone, never logged in
    phone_page.goto(link)
    expect(phone_page.locator("#link-balance")).to_have_text("700")
    expect(phone_page.locator("#link-redemptions")).to_contain_text("电子价签（10 个）")
    expect(phone_page.locator("#link-statement")).to_contain_text("-800")

    # ...and its form posts back through the browser (the page's referrer policy must let CSRF see the origin).
    phone_page.once("dialog", lambda dialog: dialog.accept())
    phone_page.locator("#link-rewards .reward-card", has_text="烟盒收纳架").locator("button").click()
    expect(phone_page.locator("#link-balance")).to_have_text("200")
    assert Redemption.objects.filter(channel=Redemption.Channel.LINK, points=500).count() == 1
