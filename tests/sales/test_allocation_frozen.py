"""A published allocation plan stays what was published: its per-retailer allowances are frozen with the rule row
that gave each, so retailers added, re-tiered or losing their licence later change nothing until a new version."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Retailer
from sales.allocation.models import AllocationAllowance, AllocationPlan
from sales.allocation.selectors import (
    allocation_fill_rate,
    allocation_plan_drift,
    allocation_preview,
    retailer_allowances,
    retailers_with_allowance,
)
from sales.allocation.services import allocation_plan_new_version, allocation_plan_publish
from tests.accounts.factories import RetailerFactory
from tests.sales.allocation_cases import MONDAY, WED


def test_a_published_plan_reports_the_published_figures_until_a_new_version(
    draft, supervisor_a, county, route_a, client_for
):
    plan = allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="总部追加 1 条")
    assert (plan.total_allowance, plan.frozen_from) == (4, "publish")
    frozen = {a.retailer_id: (a.cartons, a.reason, a.rule_id) for a in plan.allowances.all()}
    town_rule = plan.rules.get(tier_from=20, market_type="C").pk
    assert frozen[county["town24"].pk] == (2, "ok", town_rule)
    assert frozen[county["suspended"].pk] == (0, "suspended", town_rule)
    assert len(frozen) == 6

    # after publication: two new top-tier town shops, one shop re-tiered up, one licence revoked
    newcomers = [RetailerFactory(route=route_a, tier=30, market_type="C") for _ in range(2)]
    Retailer.objects.filter(pk=county["town10"].pk).update(tier=25)
    Retailer.objects.filter(pk=county["rural24"].pk).update(licence_status="revoked")

    preview = allocation_preview(plan=plan)
    assert (preview["total"], preview["frozen"]) == (4, True)  # not 4 + 2×2 + 1 − 1
    assert {b["reason"]: b["retailers"] for b in preview["blocked"]} == {
        "expired": 1,
        "no_rule": 1,
        "suspended": 1,
    }
    mine = retailer_allowances(
        retailer_ids=[newcomers[0].pk, county["town10"].pk, county["rural24"].pk], day=WED
    )
    assert mine[newcomers[0].pk] == []  # not in the published plan
    assert [a.cartons for a in mine[county["town10"].pk]] == [1]  # the published tier-10 limit
    assert [a.cartons for a in mine[county["rural24"].pk]] == [1]
    assert newcomers[0].pk not in set(retailers_with_allowance(day=WED).values_list("pk", flat=True))
    fill = allocation_fill_rate(user=supervisor_a, day=WED)
    assert sum(row["allowed"] for row in fill["rows"]) == 4
    # the page shows the published total and says what changed since
    drift = allocation_plan_drift(plan=plan)
    assert drift == {"added": 2, "gone": 0, "changed": 2, "today_total": 8, "any": True}
    page = client_for(supervisor_a).get(reverse("sales:allocation-detail", args=[plan.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="value" id="preview-total">4</div>' in html
    assert 'id="plan-drift"' in html

    # a new version takes them in explicitly, and once published it is the one in force
    version = allocation_plan_new_version(actor=supervisor_a, plan=plan)
    assert allocation_preview(plan=version)["total"] == 8
    version = allocation_plan_publish(actor=supervisor_a, plan=version, override_reason="新增客户")
    assert version.total_allowance == 8
    mine = retailer_allowances(retailer_ids=[newcomers[0].pk], day=WED)
    assert [a.cartons for a in mine[newcomers[0].pk]] == [2]
    plan.refresh_from_db()
    assert plan.state == AllocationPlan.State.SUPERSEDED
    assert allocation_preview(plan=plan)["total"] == 4  # the old version still reads as it was published


def test_a_refused_publication_freezes_nothing(draft, supervisor_a):
    with pytest.raises(ValidationError):
        allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="")
    assert not AllocationAllowance.objects.filter(plan=draft).exists()
    draft.refresh_from_db()
    assert (draft.state, draft.frozen_from, draft.cycle_start) == ("draft", "", MONDAY)
