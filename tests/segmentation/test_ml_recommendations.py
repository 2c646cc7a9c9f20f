"""Recommendations on a hand-computed dataset: one peer group (county 老城区 × convenience × tiers 1–10) of seven
buying retailers in two departments, outsiders that must not count, withdrawn products and a substitute.

Peers of r0 (r0 itself left out: 6 buyers) and who buys what in the last 13 weeks:
    P1 all six and r0 · P2 5/6 · T (trial) 4/6 · P3 3/6 · P4 2/6 · P6 2/6 · S 2/6 · P5 1/6 · Z (withdrawn) 6/6
r0 bought W (withdrawn, substitute S) 20 weeks ago and buys only P1 now, so:
    1 S (substitute for W) · 2 P2 83% · 3 T 67% · 4 P3 50% · 5 P4 33% — P6 ties P4 and loses on product id,
    P5 is under 30%, Z is withdrawn, P1 is r0's own.
"""

import pytest
from django.urls import reverse

from accounts.models import Retailer
from sales.models import Product
from segmentation.ml.models import Recommendation
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import weeks_ago
from tests.users.factories import DepartmentFactory, RouteFactory


@pytest.fixture
def products(make_product):
    names = ["P1", "P2", "P3", "P4", "P5", "P6", "S"]
    catalogue = {name: make_product(f"品规{name}") for name in names}
    catalogue["T"] = make_product("品规T", status=Product.Status.TRIAL)
    catalogue["Z"] = make_product("品规Z", status=Product.Status.WITHDRAWN)
    catalogue["W"] = make_product("品规W", status=Product.Status.WITHDRAWN, substitute=catalogue["S"])
    return catalogue


@pytest.fixture
def peer_world(products, route_a, route_b, county_a, manager_a, buy):
    p = products
    route_a2 = RouteFactory(code="LC-A02", org_unit=DepartmentFactory(name="老城营销二部", parent=county_a))
    r0 = RetailerFactory(route=route_a, tier=10)
    peers = [RetailerFactory(route=route_a, tier=t) for t in (1, 4, 7, 10)]
    peers += [RetailerFactory(route=route_a2, tier=t) for t in (3, 9)]  # same county, another department
    baskets = [
        ["P1", "P2", "T", "P3", "P4", "P5", "Z"],
        ["P1", "P2", "T", "P3", "P4", "Z"],
        ["P1", "P2", "T", "P3", "P6", "Z"],
        ["P1", "P2", "T", "P6", "Z"],
        ["P1", "P2", "S", "Z"],
        ["P1", "S", "Z"],
    ]
    buy(r0, weeks_ago(2), [p["P1"]])
    buy(r0, weeks_ago(20), [p["W"]])
    for peer, basket in zip(peers, baskets, strict=True):
        buy(peer, weeks_ago(2), [p[name] for name in basket])
    buy(peers[4], weeks_ago(20), [p["W"]])  # bought W too, but buys its substitute now
    # not peers of r0: another county, another tier band (their P5/P6 would lift those over 30% if counted)
    others = [RetailerFactory(route=route_b, tier=10) for _ in range(3)]
    others.append(RetailerFactory(route=route_a, tier=25))
    for other in others:
        buy(other, weeks_ago(1), [p["P5"], p["P6"]])
    return r0, peers, others


def recommended(retailer) -> list[tuple[int, str, str]]:
    return [
        (r.rank, r.product.name, r.kind)
        for r in Recommendation.objects.filter(retailer=retailer).select_related("product").order_by("rank")
    ]


def test_a_retailer_gets_the_substitute_first_then_what_most_of_its_peers_buy(
    peer_world, products, score_now
):
    r0, _peers, _others = peer_world

    run = score_now()

    assert recommended(r0) == [
        (1, "品规S", "substitute"),
        (2, "品规P2", "peer"),
        (3, "品规T", "peer"),
        (4, "品规P3", "peer"),
        (5, "品规P4", "peer"),
    ]
    rows = {r.rank: r for r in Recommendation.objects.filter(retailer=r0)}
    assert rows[1].substitute_for == products["W"]
    assert (rows[1].peer_count, rows[1].peer_buyers) == (None, None)
    assert [(rows[n].peer_buyers, rows[n].peer_count) for n in (2, 3, 4, 5)] == [
        (5, 6),
        (4, 6),
        (3, 6),
        (2, 6),
    ]
    assert rows[2].penetration == pytest.approx(5 / 6)
    assert {r.run_id for r in rows.values()} == {run.pk}
    assert run.stats["recommendations"]["by_kind"]["substitute"] == {"rows": 1, "retailers": 1}


def test_no_substitute_for_a_retailer_that_already_buys_it_and_own_products_are_left_out(
    peer_world, score_now
):
    _r0, peers, _others = peer_world
    score_now()
    # peers[4] bought W, buys S, P1, P2 and Z: its six peers are r0 and the other five
    assert recommended(peers[4]) == [
        (1, "品规T", "peer"),  # 4 of 6
        (2, "品规P3", "peer"),  # 3 of 6
        (3, "品规P4", "peer"),  # 2 of 6, lower product id than P6
        (4, "品规P6", "peer"),
    ]
    # the widest buyer lacks only the two that a third of its peers buy (equal shares: lower product id first)
    assert recommended(peers[0]) == [(1, "品规P6", "peer"), (2, "品规S", "peer")]


def test_peer_groups_stop_at_the_county_format_and_tier_band(peer_world, route_a, products, buy, score_now):
    r0, _peers, others = peer_world
    grocery = RetailerFactory(route=route_a, tier=10, business_format=Retailer.BusinessFormat.GROCERY)
    buy(grocery, weeks_ago(1), [products["P1"]])
    score_now()
    assert "品规P5" not in [name for _rank, name, _kind in recommended(r0)]
    # the other county's three buyers, the lone tier-25 shop and the lone grocery have fewer than 5 peers
    for other in [*others, grocery]:
        assert recommended(other) == []


def test_each_run_replaces_the_previous_runs_recommendations(peer_world, score_now):
    r0, _peers, _others = peer_world
    first = score_now()
    count = Recommendation.objects.count()
    second = score_now()
    assert Recommendation.objects.count() == count
    assert not Recommendation.objects.filter(run=first).exists()
    assert len(recommended(r0)) == 5
    assert set(Recommendation.objects.values_list("run_id", flat=True)) == {second.pk}


def test_api_lists_a_retailers_recommendations_with_reasons_only_in_scope(
    peer_world, score_now, manager_a, manager_b, api_client_for
):
    r0, _peers, _others = peer_world
    score_now()
    rows = api_client_for(manager_a).get("/api/v1/recommendations/", {"retailer": r0.pk}).json()["results"]
    assert [(r["rank"], r["product_name"], r["reason"]) for r in rows] == [
        (1, "品规S", "替代已退市的 品规W"),
        (2, "品规P2", "同区县同业态同档段 83% 的客户在订"),
        (3, "品规T", "同区县同业态同档段 67% 的客户在订"),
        (4, "品规P3", "同区县同业态同档段 50% 的客户在订"),
        (5, "品规P4", "同区县同业态同档段 33% 的客户在订"),
    ]
    assert rows[0]["substitute_for_name"] == "品规W"
    assert rows[1]["penetration"] == pytest.approx(5 / 6)

    other = api_client_for(manager_b)
    assert other.get("/api/v1/recommendations/", {"retailer": r0.pk}).json()["results"] == []
    assert other.get(f"/api/v1/recommendations/{rows[0]['id']}/").status_code == 404


def test_the_portrait_panel_lists_the_recommendations_with_their_reasons(
    peer_world, score_now, manager_a, client_for
):
    r0, _peers, _others = peer_world
    score_now()
    html = client_for(manager_a).get(reverse("segmentation:retailer-scores", args=[r0.pk])).content.decode()
    assert 'id="score-recommendations"' in html
    assert '品规S</span> <span class="text-muted">· 替代已退市的 品规W' in html
    assert "同区县同业态同档段 83% 的客户在订" in html
