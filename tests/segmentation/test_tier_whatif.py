"""The tier what-if on the hand-built case of tier_cases: moves, the from→to matrix, shifts, allowance totals against
supply, validation, and who may run it (page and API)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from sales.allocation.selectors import coming_cycle_day
from sales.allocation.services import allocation_plan_create
from segmentation.tiers.models import TierChange
from segmentation.tiers.whatif import tier_whatif
from tests.sales.factories import ScarceProductFactory
from tests.segmentation.tier_cases import MAY_END, top_shares

CARTONS_ONLY = {"weight_cartons": 100, "weight_amount": 0, "weight_avg_price": 0}


def test_weights_alone_against_the_current_rule(four_shops, supervisor_a):
    # 100/0/0 ranks by cartons: A 30, B 29, C 28, D 27 — against the rule's B 30, A 29, C 28, D 27
    result = tier_whatif(user=supervisor_a, weights=CARTONS_ONLY, baseline="rule", period_end=MAY_END)
    assert (result.retailers, result.moved, result.up, result.down) == (4, 2, 1, 1)
    assert sorted(result.matrix) == [(27, 27, 1), (28, 28, 1), (29, 30, 1), (30, 29, 1)]
    assert result.shifts == [(-1, 1), (1, 1)]
    assert (result.mean_shift, result.max_shift) == (1.0, 1)
    assert TierChange.objects.count() == 0  # nothing written


def test_tier_counts_against_todays_tiers(four_shops, supervisor_a):
    # two per tier in 30 and 29; everybody has tier 10 today
    result = tier_whatif(
        user=supervisor_a, weights=CARTONS_ONLY, tier_shares=top_shares(2, 2), period_end=MAY_END
    )
    assert sorted(result.matrix) == [(10, 29, 2), (10, 30, 2)]
    assert (result.moved, result.up, result.down) == (4, 4, 0)
    assert result.shifts == [(19, 2), (20, 2)]
    assert (result.mean_shift, result.max_shift) == (19.5, 20)
    # running it twice in one transaction is fine (the temporary table is replaced)
    again = tier_whatif(
        user=supervisor_a, weights=CARTONS_ONLY, tier_shares=top_shares(2, 2), period_end=MAY_END
    )
    assert again.matrix == result.matrix


def test_allowance_totals_against_supply(four_shops, supervisor_a, county_a, default_bands):
    product = ScarceProductFactory()
    plan = allocation_plan_create(
        actor=supervisor_a,
        product_id=product.pk,
        org_unit_id=county_a.pk,
        cycle_start=coming_cycle_day(timezone.localdate()),
        supply_cartons=30,
        rules=[
            {"tier_from": 29, "tier_to": 30, "market_type": "C", "cartons": 10},
            {"tier_from": 1, "tier_to": 28, "market_type": "C", "cartons": 2},
        ],
    )
    # from the rule's tiers (30, 29, 28, 27): 10 + 10 + 2 + 2 = 24; to (30, 30, 29, 29): 40
    result = tier_whatif(
        user=supervisor_a,
        weights=CARTONS_ONLY,
        tier_shares=top_shares(2, 2),
        baseline="rule",
        period_end=MAY_END,
    )
    (row,) = result.allowances
    assert (row["plan"], row["supply"], row["total_from"], row["total_to"], row["change"]) == (
        plan.pk,
        30,
        24,
        40,
        16,
    )
    assert (row["share_from"], row["share_to"], row["over"]) == (80, 133, True)
    # from today's tiers (all 10): 4 × 2 = 8
    today = tier_whatif(
        user=supervisor_a, weights=CARTONS_ONLY, tier_shares=top_shares(2, 2), period_end=MAY_END
    )
    assert (today.allowances[0]["total_from"], today.allowances[0]["total_to"]) == (8, 40)


def test_bad_parameters_are_refused(four_shops, supervisor_a):
    with pytest.raises(ValidationError):
        tier_whatif(user=supervisor_a, weights={"weight_cartons": 90}, period_end=MAY_END)  # 90 + 30 + 20
    with pytest.raises(ValidationError):
        tier_whatif(user=supervisor_a, tier_shares=[1] * 29, period_end=MAY_END)
    with pytest.raises(ValidationError):
        tier_whatif(user=supervisor_a, baseline="yesterday", period_end=MAY_END)


def test_a_manager_may_not_run_it(four_shops, manager_a, client_for, api_client_for):
    with pytest.raises(PermissionDenied):
        tier_whatif(user=manager_a, weights=CARTONS_ONLY, period_end=MAY_END)
    assert client_for(manager_a).get("/segmentation/tiers/what-if/").status_code == 403
    assert (
        api_client_for(manager_a).post("/api/v1/tier-whatif/", CARTONS_ONLY, format="json").status_code == 403
    )


def test_page_and_api(four_shops, supervisor_a, client_for, api_client_for):
    page = client_for(supervisor_a).get(
        "/segmentation/tiers/what-if/",
        {"run": "1", **CARTONS_ONLY, "tier_shares": ",".join(map(str, top_shares(2, 2))), "baseline": "rule"},
    )
    assert page.status_code == 200  # the last complete month: nothing ordered then
    assert 'id="tier-whatif-moved"' in page.content.decode()
    may = client_for(supervisor_a).get(
        "/segmentation/tiers/what-if/",
        {"run": "1", **CARTONS_ONLY, "baseline": "rule", "period_end": "2025-05-31"},
    )
    assert 'id="tier-whatif-moved">2<' in may.content.decode()
    assert (
        client_for(supervisor_a)
        .get("/segmentation/tiers/what-if/", {"run": "1", "period_end": "5月"})
        .status_code
        == 400
    )
    bad = client_for(supervisor_a).get("/segmentation/tiers/what-if/", {"run": "1", "weight_cartons": "x"})
    assert bad.status_code == 400
    api = api_client_for(supervisor_a).post(
        "/api/v1/tier-whatif/",
        {**CARTONS_ONLY, "baseline": "rule", "period_end": MAY_END.isoformat()},
        format="json",
    )
    assert api.status_code == 200, api.content
    body = api.json()
    assert (body["moved"], body["up"], body["down"]) == (2, 1, 1)
    assert sorted(map(tuple, body["matrix"])) == [(27, 27, 1), (28, 28, 1), (29, 30, 1), (30, 29, 1)]
    refused = api_client_for(supervisor_a).post("/api/v1/tier-whatif/", {"weight_cartons": 99}, format="json")
    assert refused.status_code == 400


def test_nothing_here_needs_a_published_proposal(four_shops, supervisor_a):
    assert datetime.date(2025, 5, 1) == tier_whatif(user=supervisor_a, period_end=MAY_END).period_start
