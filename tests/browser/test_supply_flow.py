"""Allocation and violations in a real browser on a 390 px phone: a supervisor drafts a weekly plan in the grid
editor, sees the allowance exceed the supply and publishes with a reason; the customer manager then reads the
shop's allowance and why on its portrait, and records a violation seen on the visit, which lowers the grade."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.compliance.models import CreditRule, Violation
from sales.allocation.models import AllocationPlan
from tests.browser.conftest import PASSWORD
from tests.sales.factories import ScarceProductFactory
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plan_publish_then_explain_and_record_a_violation_on_a_phone(
    phone_page, live_server, world, login, second_phone
):
    CreditRule.objects.get_or_create(
        is_active=True, defaults={"name": "默认信用规则"}
    )  # flushed by other tests
    county = world.route_a.org_unit.parent
    supervisor = user_create(
        username="sup_a", password=PASSWORD, role=User.Role.SUPERVISOR, org_unit=county, display_name="赵主管"
    )
    product = ScarceProductFactory()
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    page = login(phone_page, supervisor)

    page.goto(f"{live_server.url}/sales/allocation/")
    page.locator("#new-plan").click()
    page.select_option("#id_product", str(product.pk))
    page.fill("#id_cycle_start", monday.isoformat())
    page.fill("#id_supply", "3")
    rows = page.locator("#rule-grid tbody tr")
    rows.nth(3).locator("input[name=town]").fill("2")  # 11–15, town
    rows.nth(4).locator("input[name=town]").fill("1")  # 1–10, town
    page.locator("#save-plan").click()

    # shop_a1 (tier 12) 2 + shop_a2 and shop_a3 (tier 10) 1 each = 4 > 3
    expect(page.locator("#preview-total")).to_have_text("4")
    expect(page.locator("#preview-over")).to_be_visible()
    page.fill("#id_override", "省局追加 1 条已确认")
    page.locator("#publish-plan").click()
    expect(page.locator("#plan-state")).to_have_text("已发布")
    expect(page.locator("#plan-locked")).to_contain_text("省局追加 1 条已确认")
    assert AllocationPlan.objects.get().total_allowance == 4

    page = login(second_phone, world.cm_a)  # the customer manager, on their own phone
    page.goto(f"{live_server.url}/retailers/{world.shop_a1.pk}/")
    page.locator("#sec-allowance > summary").tap()  # a closed section's panel loads when it is opened
    expect(page.locator("#allowance-current")).to_contain_text("档位 12 · 城镇 → 每周 2 条")
    page.locator("#sec-violations > summary").tap()  # on a phone the portrait's sections open with a tap
    page.locator("#violation-add-link").click()
    page.select_option("#id_type", "minors")
    page.locator("#save-violation").click()
    page.wait_for_url(f"{live_server.url}/retailers/{world.shop_a1.pk}/")
    page.locator("#sec-violations > summary").tap()
    expect(page.locator("#credit-grade")).to_have_text("B")
    expect(page.locator("#retailer-violation-list")).to_contain_text("向未成年人售烟")
    violation = Violation.objects.get()
    assert (violation.source, violation.recorded_by_id) == ("visit", world.cm_a.pk)
