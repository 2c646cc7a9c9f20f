"""The tier engine (档位) on hand-built cases: exact counts per tier, deterministic ties, weights, the new-retailer
cap, publication with history, two-person approval of manual changes, scoping and the API."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from accounts.models import Retailer, RetailerEvent
from accounts.services import retailers_tier_set
from core.errors import ConflictError
from segmentation.scoring.models import ScoringEvent
from segmentation.tiers.grading import tier_counts, tier_period
from segmentation.tiers.models import TierChange, TierProposal, TierRule, tier_default_shares
from segmentation.tiers.services import (
    tier_change_decide,
    tier_change_request,
    tier_proposal_create,
    tier_proposal_publish,
)
from tests.accounts.factories import RetailerFactory

MAY_END = datetime.date(2025, 5, 31)
OLD_ORDER = datetime.date(2024, 1, 10)  # long before the period: not a new retailer


def top_shares(*parts: int) -> list[int]:
    """A share table giving `parts` to tiers 30, 29, … and nothing to the rest."""
    shares = [0] * 30
    for i, part in enumerate(parts):
        shares[29 - i] = part
    return shares


@pytest.fixture
def rule(db):
    return TierRule.objects.create(weight_cartons=100, weight_amount=0, weight_avg_price=0)


@pytest.fixture
def shop(route_a, place_orders):
    """shop([(day, cartons), ...], price_fen=10000, new=False): a retailer on route A with these orders (plus
    an old one unless new)."""

    def make(orders, price_fen=10000, new=False):
        retailer = RetailerFactory(route=route_a, tier=10)
        place_orders(retailer, ([] if new else [(OLD_ORDER, 1)]) + list(orders), price_fen=price_fen)
        return retailer

    return make


def tiers_of(proposal) -> dict[int, int]:
    return dict(proposal.lines.values_list("retailer_id", "proposed_tier"))


def test_largest_remainder_counts_sum_to_n_and_favour_the_higher_tier_on_equal_remainders():
    assert tier_counts(n=5, shares=top_shares(1, 1, 1)) == {
        **dict.fromkeys(range(1, 28), 0),
        28: 1,
        29: 2,
        30: 2,
    }
    default = tier_counts(n=1000, shares=tier_default_shares())
    assert sum(default.values()) == 1000
    assert default[30] == default[1] == 4  # 1000 × 1/240 = 4.17
    assert default[15] == default[16] == 63  # 1000 × 15/240 = 62.5: both get the extra one
    exact = [1] * 20 + [2] * 10  # a table of counts that sums to N is used as it is
    assert tier_counts(n=40, shares=exact) == {t: (1 if t <= 20 else 2) for t in range(1, 31)}


def test_default_shares_rise_to_the_middle():
    shares = tier_default_shares()
    assert shares[0] == shares[29] == 1
    assert shares[14] == shares[15] == 15
    assert sum(shares) == 240


def test_the_period_is_the_month_or_quarter_containing_its_end():
    assert tier_period(period="month", period_end=datetime.date(2025, 5, 12)) == (
        datetime.date(2025, 5, 1),
        MAY_END,
    )
    assert tier_period(period="quarter", period_end=datetime.date(2025, 11, 3)) == (
        datetime.date(2025, 10, 1),
        datetime.date(2025, 12, 31),
    )


def test_cut_gives_exact_counts_with_ties_resolved_by_retailer_id(rule, shop, supervisor_a):
    rule.tier_shares = top_shares(1, 1, 1)
    rule.save()
    r1 = shop([(datetime.date(2025, 5, 5), 10)])
    r2 = shop([(datetime.date(2025, 5, 5), 50)])
    r3 = shop([(datetime.date(2025, 5, 20), 50)])  # ties with r2: r2 (lower id) ranks first
    r4 = shop([(datetime.date(2025, 5, 5), 30)])
    r5 = shop([(datetime.date(2025, 4, 28), 99)])  # outside the period: nothing in May

    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)

    assert proposal.status == TierProposal.Status.DRAFT
    assert (proposal.period_start, proposal.period_end) == (datetime.date(2025, 5, 1), MAY_END)
    assert proposal.counts == {"30": 2, "29": 2, "28": 1}
    assert proposal.retailer_count == 5
    ranks = dict(proposal.lines.values_list("retailer_id", "rank"))
    assert [ranks[r.pk] for r in (r2, r3, r4, r1, r5)] == [1, 2, 3, 4, 5]
    assert tiers_of(proposal) == {r2.pk: 30, r3.pk: 30, r4.pk: 29, r1.pk: 29, r5.pk: 28}
    assert dict(proposal.lines.values_list("retailer_id", "current_tier")) == dict.fromkeys(ranks, 10)


def test_weights_change_the_order(rule, shop, supervisor_a):
    rule.tier_shares = top_shares(1, 1)
    rule.save()
    bulk = shop([(datetime.date(2025, 5, 5), 100)], price_fen=5000)  # many cheap cartons
    premium = shop([(datetime.date(2025, 5, 5), 20)], price_fen=40000)  # few dear ones
    by_cartons = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    assert tiers_of(by_cartons) == {bulk.pk: 30, premium.pk: 29}

    rule.weight_cartons, rule.weight_avg_price = 20, 80
    rule.save()
    by_price = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    assert tiers_of(by_price) == {bulk.pk: 29, premium.pk: 30}
    assert by_price.parameters["weight_avg_price"] == 80


def test_new_retailers_are_capped(rule, shop, supervisor_a):
    rule.tier_shares = top_shares(1)  # everyone in tier 30
    rule.save()
    veteran = shop([(datetime.date(2025, 5, 5), 10)])
    newcomer = shop([(datetime.date(2025, 5, 5), 80)], new=True)  # best score, first order in May
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    assert tiers_of(proposal) == {veteran.pk: 30, newcomer.pk: 24}
    assert proposal.counts == {"30": 1, "24": 1}
    assert proposal.lines.get(retailer=newcomer).is_new


def test_matrix_mode_crosses_carton_deciles_with_price_tertiles(rule, shop, supervisor_a):
    rule.mode = TierRule.Mode.MATRIX
    rule.save()
    best = shop([(datetime.date(2025, 5, 5), 50)], price_fen=30000)
    other = shop([(datetime.date(2025, 5, 5), 5)], price_fen=8000)
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    # two retailers: carton bands 1 and 2 of 10, price bands 1 and 2 of 3
    assert tiers_of(proposal) == {best.pk: 30, other.pk: 26}


def test_publish_writes_tiers_history_and_changes_then_locks(rule, shop, supervisor_a, company_admin):
    rule.tier_shares = top_shares(1, 1)
    rule.save()
    high = shop([(datetime.date(2025, 5, 5), 50)])
    low = shop([(datetime.date(2025, 5, 5), 5)])
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    events_before = RetailerEvent.objects.filter(pgh_obj_id__in=[high.pk, low.pk]).count()

    published = tier_proposal_publish(user=supervisor_a, proposal_id=proposal.pk)

    assert published.status == TierProposal.Status.PUBLISHED
    assert published.published_by == supervisor_a
    assert dict(Retailer.objects.filter(pk__in=[high.pk, low.pk]).values_list("id", "tier")) == {
        high.pk: 30,
        low.pk: 29,
    }
    events = RetailerEvent.objects.filter(pgh_obj_id__in=[high.pk, low.pk]).order_by("pgh_id")
    assert events.count() == events_before + 2
    last = events.filter(pgh_obj_id=high.pk).last()
    assert (last.pgh_label, last.tier) == ("updated", 30)
    assert last.pgh_context.metadata["user"] == supervisor_a.pk
    changes = TierChange.objects.filter(proposal=proposal).order_by("retailer_id")
    assert [
        (c.retailer_id, c.from_tier, c.to_tier, c.source, c.status, c.approved_by_id) for c in changes
    ] == [
        (high.pk, 10, 30, "proposal", "approved", supervisor_a.pk),
        (low.pk, 10, 29, "proposal", "approved", supervisor_a.pk),
    ]
    # the history's reason is worded for each reader, whoever published in which language
    period = f"{proposal.period_start.isoformat()} 至 {proposal.period_end.isoformat()}"
    assert changes[0].reason_display == f"档位方案 #{proposal.pk}（{period}）"
    with translation.override("en"):
        assert changes[0].reason_display.startswith(f"Tier proposal #{proposal.pk}")
    assert last.pgh_context.metadata["message"] == changes[0].message
    tier_events = ScoringEvent.objects.filter(kind="tier_changed").order_by("retailer_id")
    assert [(e.retailer_id, e.detail) for e in tier_events] == [
        (high.pk, {"from": 10, "to": 30, "source": "proposal"}),
        (low.pk, {"from": 10, "to": 29, "source": "proposal"}),
    ]
    with pytest.raises(ConflictError):
        tier_proposal_publish(user=supervisor_a, proposal_id=proposal.pk)
    second = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    with pytest.raises(ConflictError):
        tier_proposal_publish(user=supervisor_a, proposal_id=second.pk)


def test_a_manager_cannot_create_or_publish(rule, shop, manager_a, supervisor_a):
    shop([(datetime.date(2025, 5, 5), 5)])
    with pytest.raises(PermissionDenied):
        tier_proposal_create(user=manager_a, period_end=MAY_END)
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    with pytest.raises(PermissionDenied):
        tier_proposal_publish(user=manager_a, proposal_id=proposal.pk)


def test_a_manual_change_needs_a_second_person(retailer_a, manager_a, supervisor_a, company_admin):
    own = tier_change_request(user=supervisor_a, retailer_id=retailer_a.pk, to_tier=12, reason="新开便利店")
    with pytest.raises(ConflictError):
        tier_change_decide(user=supervisor_a, change_id=own.pk, approve=True)
    retailer_a.refresh_from_db()
    assert retailer_a.tier == 10

    change = tier_change_decide(user=company_admin, change_id=own.pk, approve=True)
    assert (change.status, change.approved_by, change.from_tier, change.to_tier) == (
        "approved",
        company_admin,
        10,
        12,
    )
    retailer_a.refresh_from_db()
    assert retailer_a.tier == 12
    assert RetailerEvent.objects.filter(pgh_obj_id=retailer_a.pk).last().tier == 12

    asked = tier_change_request(user=manager_a, retailer_id=retailer_a.pk, to_tier=15, reason="销量上升")
    with pytest.raises(PermissionDenied):
        tier_change_decide(user=manager_a, change_id=asked.pk, approve=True)
    with pytest.raises(ConflictError):  # one pending request per retailer
        tier_change_request(user=supervisor_a, retailer_id=retailer_a.pk, to_tier=16, reason="另一申请")
    rejected = tier_change_decide(user=supervisor_a, change_id=asked.pk, approve=False)
    assert rejected.status == "rejected"
    retailer_a.refresh_from_db()
    assert retailer_a.tier == 12
    with pytest.raises(ConflictError):
        tier_change_decide(user=company_admin, change_id=asked.pk, approve=True)


def test_a_manual_change_is_validated(retailer_a, manager_a):
    with pytest.raises(ValidationError) as bad:
        tier_change_request(user=manager_a, retailer_id=retailer_a.pk, to_tier=31, reason="")
    assert set(bad.value.message_dict) == {"to_tier", "reason"}
    with pytest.raises(ValidationError) as same:
        tier_change_request(user=manager_a, retailer_id=retailer_a.pk, to_tier=10, reason="相同档位")
    assert set(same.value.message_dict) == {"to_tier"}


def test_another_territory_is_404(two_territories, manager_a, manager_b, supervisor_a, api_client_for):
    _a, retailer_b = two_territories
    with pytest.raises(Http404):
        tier_change_request(user=manager_a, retailer_id=retailer_b.pk, to_tier=3, reason="越权")
    change = tier_change_request(user=manager_b, retailer_id=retailer_b.pk, to_tier=3, reason="乙区申请")
    with pytest.raises(Http404):
        tier_change_decide(user=supervisor_a, change_id=change.pk, approve=True)
    client = api_client_for(supervisor_a)
    assert client.get(f"/api/v1/tier-changes/{change.pk}/").status_code == 404
    assert client.post(f"/api/v1/tier-changes/{change.pk}/approve/").status_code == 404
    assert (
        client.post(
            "/api/v1/tier-changes/", {"retailer": retailer_b.pk, "to_tier": 3, "reason": "x"}
        ).status_code
        == 404
    )


def test_api_happy_path(rule, shop, supervisor_a, manager_a, company_admin, api_client_for):
    rule.tier_shares = top_shares(1)
    rule.save()
    retailer = shop([(datetime.date(2025, 5, 5), 5)])
    supervisor = api_client_for(supervisor_a)
    created = supervisor.post("/api/v1/tier-proposals/", {"period_end": "2025-05-31"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft"
    assert body["counts"] == {"30": 1}
    assert [p["id"] for p in supervisor.get("/api/v1/tier-proposals/").json()["results"]] == [body["id"]]
    assert api_client_for(manager_a).post(f"/api/v1/tier-proposals/{body['id']}/publish/").status_code == 403
    published = supervisor.post(f"/api/v1/tier-proposals/{body['id']}/publish/")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert supervisor.post(f"/api/v1/tier-proposals/{body['id']}/publish/").status_code == 409

    manager = api_client_for(manager_a)
    asked = manager.post(
        "/api/v1/tier-changes/", {"retailer": retailer.pk, "to_tier": 20, "reason": "调整"}, format="json"
    )
    assert asked.status_code == 201, asked.content
    change_id = asked.json()["id"]
    assert asked.json()["status"] == "pending"
    assert supervisor.post(f"/api/v1/tier-changes/{change_id}/approve/").status_code == 200
    retailer.refresh_from_db()
    assert retailer.tier == 20
    assert supervisor.post(f"/api/v1/tier-changes/{change_id}/reject/").status_code == 409
    listed = supervisor.get("/api/v1/tier-changes/", {"status": "approved"}).json()["results"]
    assert {c["source"] for c in listed} == {"proposal", "manual"}


def test_the_tier_page_creates_publishes_and_approves(rule, shop, supervisor_a, manager_a, client_for):
    rule.tier_shares = top_shares(1)
    rule.save()
    retailer = shop([(datetime.date(2025, 5, 5), 5)])
    supervisor = client_for(supervisor_a)
    page = supervisor.get(reverse("segmentation:tiers"))
    assert page.status_code == 200
    assert "tier-proposal-create" in page.content.decode()
    assert supervisor.post(reverse("segmentation:tier-proposal-create")).status_code == 302
    proposal = TierProposal.objects.get()
    html = supervisor.get(reverse("segmentation:tiers")).content.decode()
    assert 'id="tier-proposals"' in html
    assert reverse("segmentation:tier-proposal-publish", args=[proposal.pk]) in html
    supervisor.post(reverse("segmentation:tier-proposal-publish", args=[proposal.pk]))
    proposal.refresh_from_db()
    assert proposal.status == TierProposal.Status.PUBLISHED

    manager = client_for(manager_a)
    panel = manager.get(reverse("segmentation:retailer-scores", args=[retailer.pk])).content.decode()
    assert 'id="tier-change-request"' in panel
    asked = manager.post(
        reverse("segmentation:retailer-tier-change-request", args=[retailer.pk]),
        {"to_tier": "25", "reason": "门店扩建"},
    )
    assert asked.status_code == 200
    change = TierChange.objects.get(status="pending")
    assert manager.get(reverse("segmentation:tiers")).status_code == 200  # managers see, but cannot decide
    manager.post(reverse("segmentation:tier-change-decide", args=[change.pk, "approve"]))
    change.refresh_from_db()
    assert change.status == "pending"
    supervisor.post(reverse("segmentation:tier-change-decide", args=[change.pk, "approve"]))
    change.refresh_from_db()
    assert change.status == "approved"
    retailer.refresh_from_db()
    assert retailer.tier == 25


def test_the_request_form_of_another_territory_is_404(two_territories, manager_a, client_for):
    _a, retailer_b = two_territories
    response = client_for(manager_a).post(
        reverse("segmentation:retailer-tier-change-request", args=[retailer_b.pk]),
        {"to_tier": "3", "reason": "x"},
    )
    assert response.status_code == 404
    assert not TierChange.objects.exists()


def test_the_accounts_bulk_tier_write_is_scoped_and_skips_unchanged(two_territories, manager_a):
    retailer_a, retailer_b = two_territories
    with pytest.raises(ValidationError):
        retailers_tier_set(actor=manager_a, tiers={retailer_a.pk: 5, retailer_b.pk: 5}, reason="越权")
    retailer_b.refresh_from_db()
    assert retailer_b.tier == 20
    assert retailers_tier_set(actor=manager_a, tiers={retailer_a.pk: 10}, reason="不变") == []
    assert retailers_tier_set(actor=None, tiers={retailer_a.pk: 7, retailer_b.pk: 20}, reason="系统") == [
        (retailer_a.pk, 10, 7)
    ]


def test_publishing_leaves_a_record_merged_away_since_the_draft_as_it_was(
    rule, shop, supervisor_a, company_admin
):
    from accounts.dedupe.services import retailer_merge

    rule.tier_shares = top_shares(1, 1)
    rule.save()
    survivor = shop([(datetime.date(2025, 5, 5), 5)])
    duplicate = shop([(datetime.date(2025, 5, 5), 50)])
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    assert tiers_of(proposal)[duplicate.pk] == 30
    retailer_merge(user=company_admin, survivor_id=survivor.pk, duplicate_id=duplicate.pk)
    closed_tier = Retailer.objects.get(pk=duplicate.pk).tier

    tier_proposal_publish(user=supervisor_a, proposal_id=proposal.pk)

    assert Retailer.objects.get(pk=duplicate.pk).tier == closed_tier
    assert not TierChange.objects.filter(proposal=proposal, retailer_id=duplicate.pk).exists()
    assert Retailer.objects.get(pk=survivor.pk).tier == tiers_of(proposal)[survivor.pk]
