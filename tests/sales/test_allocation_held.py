"""Retailers held at zero are listed with their reason, suspended accounts included (they used to drop out of the
plan without a word)."""

from accounts.models import Retailer
from sales.allocation.selectors import allocation_preview, retailer_allowances
from sales.allocation.services import allocation_plan_publish
from tests.accounts.factories import RetailerFactory
from tests.sales.allocation_cases import WED


def test_a_suspended_account_is_held_at_zero_with_its_reason(draft, supervisor_a, route_a):
    paused = RetailerFactory(route=route_a, tier=28, market_type="C")
    Retailer.objects.filter(pk=paused.pk).update(status=Retailer.Status.SUSPENDED)
    closed = RetailerFactory(route=route_a, tier=28, market_type="C")
    Retailer.objects.filter(pk=closed.pk).update(status=Retailer.Status.CLOSED)

    held = {b["reason"]: b["retailers"] for b in allocation_preview(plan=draft)["blocked"]}
    assert held == {"account_suspended": 1, "expired": 1, "no_rule": 1, "suspended": 1}
    assert (
        allocation_preview(plan=draft)["total"] == 4
    )  # nothing for the paused shop; the closed one is not listed

    allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="总部追加 1 条")
    [allowance] = retailer_allowances(retailer_ids=[paused.pk], day=WED)[paused.pk]
    assert (allowance.cartons, allowance.reason, allowance.explanation) == (
        0,
        "account_suspended",
        "客户已暂停 → 0 条",
    )
    assert retailer_allowances(retailer_ids=[closed.pk], day=WED)[closed.pk] == []
