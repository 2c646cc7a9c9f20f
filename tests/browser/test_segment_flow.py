"""A customer manager builds a two-rule segment in the browser, watches the live count change, saves it and sees
its members."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_a_segment_watch_the_count_save_and_see_the_members(world, page, login, live_server):
    login(page, world.cm_a)
    page.get_by_role("link", name="客户分群").first.click()
    page.locator("#segment-new").click()
    # a new segment starts from "客户状态 为 正常": the manager's three shops
    expect(page.locator("#preview-count")).to_have_text("共 3 家")
    page.fill("#id_name", "高档位客户")

    page.locator(".seg-group.is-root > .seg-add .seg-add-rule").click()
    rule = page.locator('.seg-rule[data-path="2"]')
    rule.locator(".seg-field").select_option("tier")
    expect(rule.locator(".seg-operator")).to_be_visible()  # the rule was redrawn for the field
    rule.locator(".seg-operator").select_option("gte")
    expect(rule.locator('input[name="shown_2"]')).to_have_value("tier:gte")
    rule.locator('input[name="value_2"]').fill("99")
    expect(rule.locator("#rule-errors-2")).to_have_text("规则 2：档位：应在 1 到 30 之间")
    rule.locator('input[name="value_2"]').fill("12")
    expect(page.locator("#preview-count")).to_have_text("共 1 家")
    expect(rule.locator("#rule-errors-2")).to_be_empty()
    expect(page.locator("#preview-sample")).to_contain_text("老城甲号便利店")
    expect(page.locator("#preview-sample")).to_contain_text("139****5678")

    page.locator("#save-segment").click()
    expect(page.locator("h1")).to_have_text("高档位客户")
    expect(page.locator("#segment-rules")).to_have_text("客户状态 为 正常，且 档位 ≥ 12")
    expect(page.locator("#segment-count")).to_have_text("共 1 家")
    members = page.locator("#member-table")
    expect(members).to_contain_text("老城甲号便利店")
    expect(members).not_to_contain_text("老城甲号烟酒店")
    members.get_by_role("link", name="老城甲号便利店").click()
    expect(page.locator("h1")).to_contain_text("老城甲号便利店")
