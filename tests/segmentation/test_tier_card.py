"""The tier card on the hand-built case of tier_cases: its numbers are the engine's (the proposal's lines and the
engine's own SELECT), its cut points and "what would move it up", scoping, the portrait panel and the API."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.urls import reverse

from accounts.models import Retailer
from segmentation.tiers.card import tier_card, tier_card_get
from segmentation.tiers.grading import tier_period, tier_scored_sql
from segmentation.tiers.models import TierRule
from segmentation.tiers.services import tier_proposal_create, tier_proposal_publish
from tests.segmentation.tier_cases import MAY_END


def engine_rows(user):
    """The engine's SELECT for May with the current rule, by retailer."""
    start, end = tier_period(period="month", period_end=MAY_END)
    sql, params = tier_scored_sql(
        user=user, parameters=TierRule.objects.get().as_parameters(), start=start, end=end
    )
    query = f"SELECT retailer_id, score, pct_cartons, pct_amount, pct_avg_price, tier FROM ({sql}) s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {row[0]: row[1:] for row in cursor.fetchall()}


def test_the_card_equals_the_engine(published, four_shops, supervisor_a):
    engine = engine_rows(supervisor_a)
    for retailer in four_shops.values():
        card = tier_card(retailer=Retailer.objects.get(pk=retailer.pk))
        score, pc, pa, pp, tier = engine[retailer.pk]
        assert card.score == score == card.line.score
        assert card.tier == card.line.proposed_tier == tier
        assert [c.percentile for c in card.components] == pytest.approx([100 * pc, 100 * pa, 100 * pp])
        assert round(sum(c.points for c in card.components), 4) == pytest.approx(float(score))
        assert [c.weight for c in card.components] == [50, 30, 20]


def test_the_card_on_hand_computed_numbers(published, four_shops):
    a = tier_card(retailer=Retailer.objects.get(pk=four_shops["A"].pk))
    assert (a.tier, a.score, a.line.rank, a.group_size) == (29, Decimal("70.0000"), 2, 4)
    assert [(c.key, c.value, round(c.percentile, 2), round(c.points, 4)) for c in a.components] == [
        ("cartons", 40, 100.0, 50.0),
        ("amount", 4000.0, 66.67, 20.0),
        ("avg_price", 100.0, 0.0, 0.0),
    ]
    assert [cut.tier for cut in a.cuts] == [29, 30]
    assert a.score_shown == "70.0"  # one decimal, as the pages show scores (the engine keeps four)
    assert a.cuts[0].text == "得分 ≥ 70.0"
    assert a.cuts[1].text == "得分 ≥ 83.3"
    # 40 cartons already lead; more cartons at 100 元 reach at most 50 + 30 + 0 = 80 < 83.3333
    assert a.move_up_cartons_week is None
    assert "单条值" in a.move_up


def test_what_moves_it_up_is_the_fewest_cartons_that_pass_the_next_cut(published, four_shops):
    c = tier_card(retailer=Retailer.objects.get(pk=four_shops["C"].pk))
    assert (c.tier, c.score) == (28, Decimal("40.0000"))
    # C at 150 元 a carton: +20 cartons (40, 6,000 元) only ties A and B → 33.33 + 20 + 13.33 = 66.67 ≤ 70;
    # +21 passes both → 50 + 30 + 13.33 = 93.33 > 70. May has 31/7 weeks: ⌈21 ÷ 4.43⌉ = 5 a week.
    assert c.move_up_cartons_week == 5
    assert "5" in c.move_up
    assert "29" in c.move_up
    b = tier_card(retailer=Retailer.objects.get(pk=four_shops["B"].pk))
    assert b.tier == 30
    assert b.move_up_cartons_week is None
    assert len(b.cuts) == 1


def test_a_manual_change_after_publication_is_said(published, four_shops):
    d = four_shops["D"]
    Retailer.objects.filter(pk=d.pk).update(tier=15)
    card = tier_card(retailer=Retailer.objects.get(pk=d.pk))
    assert card.tier == 15
    assert card.line.proposed_tier == 27
    assert card.manual_since


def test_no_published_proposal_gives_an_empty_card(four_shops, supervisor_a):
    tier_proposal_create(user=supervisor_a, period_end=MAY_END)  # a draft does not count
    card = tier_card(retailer=Retailer.objects.get(pk=four_shops["A"].pk))
    assert card.line is None
    assert card.components == []
    assert card.tier == 10


def test_matrix_mode_cuts_by_bands(tier_rule, four_shops, supervisor_a):
    tier_rule.mode = TierRule.Mode.MATRIX
    tier_rule.save()
    proposal = tier_proposal_create(user=supervisor_a, period_end=MAY_END)
    tier_proposal_publish(user=supervisor_a, proposal_id=proposal.pk)
    card = tier_card(retailer=Retailer.objects.get(pk=four_shops["C"].pk))
    assert card.mode == "matrix"
    assert card.cuts
    assert card.cuts[0].tier == card.line.cut_tier
    assert card.move_up


def test_the_card_is_scoped(published, four_shops, manager_a, manager_b):
    assert tier_card_get(user=manager_a, retailer_id=four_shops["A"].pk).score == Decimal("70.0000")
    with pytest.raises(Http404):
        tier_card_get(user=manager_b, retailer_id=four_shops["A"].pk)


def test_portrait_panel_and_api(published, four_shops, client_for, api_client_for, manager_a, manager_b):
    shop = four_shops["C"]
    page = client_for(manager_a).get(reverse("accounts:retailer-detail", args=[shop.pk]))
    assert reverse("segmentation:retailer-tier-card", args=[shop.pk]) in page.content.decode()
    panel = client_for(manager_a).get(reverse("segmentation:retailer-tier-card", args=[shop.pk]))
    assert panel.status_code == 200
    html = panel.content.decode()
    assert 'id="tier-card-score">40.0</strong>' in html
    assert "40.0000" not in html
    assert 'data-component="avg_price"' in html
    api = api_client_for(manager_a).get(f"/api/v1/retailers/{shop.pk}/tier-card/")
    assert api.status_code == 200
    body = api.json()
    assert body["score"] == "40.0000"
    assert body["tier"] == 28
    assert body["move_up_cartons_week"] == 5
    assert [c["weight"] for c in body["components"]] == [50, 30, 20]
    assert api_client_for(manager_b).get(f"/api/v1/retailers/{shop.pk}/tier-card/").status_code == 404
    assert (
        client_for(manager_b).get(reverse("segmentation:retailer-tier-card", args=[shop.pk])).status_code
        == 404
    )
