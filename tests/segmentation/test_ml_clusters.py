"""Clusters: clearly separated groups are recovered, k is the silhouette's choice, profiles carry exact medians
and readable names.

The dataset, as of 2025-06-04 (orders on Mondays, one line each):
    big    3 shops × weekly 48/50/52 cartons at ¥200 in weeks 1–20
    small  3 shops × weekly 4/5/6 cartons at ¥50 in weeks 1–20
    gone   3 shops × weekly 10 cartons at ¥100 in weeks 30–40, nothing since
    idle   1 shop without an order (not clustered)
Weekly in weeks 1–20: 20 orders, recency 9 days, trend +50% (12 orders in the last 13 weeks, 8 in the 13 before),
20 of 20 expected weeks. Gone: 11 orders, recency 212 days, no trend (nothing in the last 26 weeks), 11 of 40
expected weeks (27.5%).
"""

import numpy as np
import pytest
from django.urls import reverse

from segmentation.ml.clusters import cluster_traits, k_choose
from segmentation.ml.models import ClusterProfile
from segmentation.scoring.models import RetailerScore
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import weeks_ago


def test_silhouette_picks_the_number_of_clearly_separated_groups():
    rng = np.random.default_rng(1)
    centres = np.array([[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]], dtype=np.float32)
    points = np.vstack([c + rng.normal(0, 0.3, (40, 3)) for c in centres]).astype(np.float32)

    k, scores = k_choose(points, k_min=2, k_max=6, sample_size=10_000)

    assert k == 4
    assert sorted(scores) == [2, 3, 4, 5, 6]
    assert scores[4] == max(scores.values()) > 0.8


def test_silhouette_is_computed_on_a_fixed_sample_so_the_choice_repeats():
    rng = np.random.default_rng(2)
    points = np.vstack([c + rng.normal(0, 0.5, (300, 2)) for c in ([0, 0], [5, 5], [0, 5])]).astype(
        np.float32
    )
    first = k_choose(points, k_min=2, k_max=5, sample_size=200)
    assert first == k_choose(points, k_min=2, k_max=5, sample_size=200)
    assert first[0] == 3


def test_too_few_distinct_points_choose_no_k():
    points = np.array([[0, 0], [0, 0], [1, 1]], dtype=np.float32)
    assert k_choose(points, k_min=3, k_max=8, sample_size=10) == (None, {})


def test_traits_mark_new_groups_and_leave_out_the_trend_of_a_lapsing_one():
    overall = {"monetary_fen": 100.0, "frequency": 40.0, "avg_price_fen": 100.0}
    new = {"monetary_fen": 20.0, "frequency": 6.0, "avg_price_fen": 100.0, "recency_days": 6.0}
    new |= {"trend_pct": 80.0, "regularity_pct": 100.0, "tenure_days": 45.0}
    assert cluster_traits(new, overall, new_days=90) == [
        "low_frequency",
        "low_value",
        "new",
        "weekly",
        "growing",
    ]
    gone = {"monetary_fen": 80.0, "frequency": 20.0, "avg_price_fen": 70.0, "recency_days": 120.0}
    gone |= {"trend_pct": -100.0, "regularity_pct": 30.0, "tenure_days": 300.0}
    assert cluster_traits(gone, overall) == ["low_frequency", "mid_value", "lapsing", "economy"]
    profile = ClusterProfile(traits=cluster_traits(new, overall))
    assert profile.name == "低频低值·新客·周订·上升"


@pytest.fixture
def three_groups(route_a, place_orders):
    groups = {"big": [], "small": [], "gone": []}
    for cartons in (48, 50, 52):
        shop = RetailerFactory(route=route_a)
        place_orders(shop, [(weeks_ago(n), cartons) for n in range(1, 21)], price_fen=20000)
        groups["big"].append(shop)
    for cartons in (4, 5, 6):
        shop = RetailerFactory(route=route_a)
        place_orders(shop, [(weeks_ago(n), cartons) for n in range(1, 21)], price_fen=5000)
        groups["small"].append(shop)
    for _ in range(3):
        shop = RetailerFactory(route=route_a)
        place_orders(shop, [(weeks_ago(n), 10) for n in range(30, 41)], price_fen=10000)
        groups["gone"].append(shop)
    groups["idle"] = [RetailerFactory(route=route_a)]
    return groups


def cluster_of(shop) -> ClusterProfile | None:
    return RetailerScore.objects.select_related("cluster").get(retailer=shop).cluster


def test_clearly_separated_groups_are_recovered_with_exact_profiles(three_groups, score_now):
    run = score_now()

    stats = run.stats["clusters"]
    assert stats["status"] == "done"
    assert stats["k"] == 3
    # the three gone shops are one point: 7 distinct points allow at most 6 clusters
    assert sorted(stats["silhouette"], key=int) == ["3", "4", "5", "6"]
    assert stats["silhouette"]["3"] == max(stats["silhouette"].values())
    profiles = list(ClusterProfile.objects.filter(run=run).order_by("number"))
    assert [p.number for p in profiles] == [1, 2, 3]
    # every shop of a group in one cluster; numbered by median monetary: big, gone, small
    for number, group in ((1, "big"), (2, "gone"), (3, "small")):
        assert {cluster_of(shop).number for shop in three_groups[group]} == {number}
    assert cluster_of(three_groups["idle"][0]) is None

    big, gone, small = profiles
    assert (big.size, gone.size, small.size) == (3, 3, 3)
    assert str(big.share) == "0.3333"
    assert big.medians == {
        "monetary_fen": 20_000_000.0,
        "frequency": 20.0,
        "cartons": 1000.0,
        "avg_price_fen": 20000.0,
        "recency_days": 9.0,
        "trend_pct": 50.0,
        "regularity_pct": 100.0,
        "tenure_days": 142.0,
    }
    assert small.medians["monetary_fen"] == 500_000.0
    assert small.medians["avg_price_fen"] == 5000.0
    assert gone.medians == {
        "monetary_fen": 1_100_000.0,
        "frequency": 11.0,
        "cartons": 110.0,
        "avg_price_fen": 10000.0,
        "recency_days": 212.0,
        "trend_pct": None,
        "regularity_pct": 27.5,
        "tenure_days": 282.0,
    }
    assert stats["overall_medians"]["monetary_fen"] == 1_100_000.0
    assert stats["overall_medians"]["frequency"] == 20.0


def test_profile_names_say_how_a_cluster_differs_from_everyone(three_groups, score_now):
    run = score_now()
    big, gone, small = ClusterProfile.objects.filter(run=run).order_by("number")
    # against the overall medians (monetary ¥11,000, 20 orders, ¥100 a carton)
    assert big.traits == ["mid_frequency", "high_value", "weekly", "growing", "premium"]
    assert big.name == "中频高值·周订·上升·高单条值"
    assert gone.name == "低频中值·久未订货"
    assert small.name == "中频低值·周订·上升·低单条值"


def test_too_few_buyers_are_not_clustered_and_the_run_says_so(route_a, place_orders, score_now):
    for _ in range(2):
        place_orders(RetailerFactory(route=route_a), [(weeks_ago(1), 5)])
    run = score_now()
    assert run.stats["clusters"]["status"] == "skipped"
    assert run.stats["clusters"]["reason"] == "too_few_retailers"
    assert not ClusterProfile.objects.filter(run=run).exists()
    assert not RetailerScore.objects.filter(cluster__isnull=False).exists()


def test_the_cluster_page_shows_the_latest_profiles_to_supervisors_only(
    three_groups, score_now, supervisor_a, manager_a, company_admin, client_for
):
    score_now()
    url = reverse("segmentation:cluster-profiles")
    assert client_for(manager_a).get(url).status_code == 403
    response = client_for(supervisor_a).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="cluster-profiles"' in html
    assert "中频高值·周订·上升·高单条值" in html
    assert "您的范围内 3 户" in html
    assert "¥20.0万" in html  # the big cluster's median order amount
    # the algorithm and the step timings are the administrator's business, not marketing's
    assert 'id="run-timings"' not in html
    assert "KMeans" not in html
    admin_html = client_for(company_admin).get(url).content.decode()
    assert 'id="run-timings"' in admin_html
    assert "KMeans" in admin_html


def test_the_cluster_page_before_any_run_says_so(db, supervisor_a, client_for):
    html = client_for(supervisor_a).get(reverse("segmentation:cluster-profiles")).content.decode()
    assert "还没有完成的评分。" in html


def test_api_clusters_lists_the_latest_runs_profiles_for_supervisors(
    three_groups, score_now, supervisor_a, manager_a, api_client_for
):
    first = score_now()
    latest = score_now()
    client = api_client_for(supervisor_a)
    rows = client.get("/api/v1/clusters/").json()
    assert [(r["number"], r["run"], r["size"]) for r in rows] == [
        (1, latest.pk, 3),
        (2, latest.pk, 3),
        (3, latest.pk, 3),
    ]
    assert rows[0]["name"] == "中频高值·周订·上升·高单条值"
    assert rows[0]["medians"]["cartons"] == 1000.0
    assert [r["run"] for r in client.get("/api/v1/clusters/", {"run": first.pk}).json()] == [first.pk] * 3
    assert api_client_for(manager_a).get("/api/v1/clusters/").status_code == 403
