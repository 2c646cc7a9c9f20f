"""The scores panel, the run-now button and the API answer only within the user's territory."""

import pytest
from django.urls import reverse

from segmentation import tasks
from segmentation.scoring.models import LifecycleRule, ScoringRun
from segmentation.scoring.selectors import explorer_figures
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import weeks_ago


@pytest.fixture
def scored(two_territories, place_orders, score_now):
    retailer_a, retailer_b = two_territories
    place_orders(retailer_a, [(weeks_ago(n), 5) for n in range(4, 31)])
    place_orders(retailer_b, [(weeks_ago(n), 5) for n in range(1, 31)])
    score_now()
    return retailer_a, retailer_b


@pytest.fixture
def queued(monkeypatch):
    """Tasks handed to the broker (which the test does not run)."""
    sent = []
    monkeypatch.setattr(tasks.scoring_run_task, "delay", sent.append)
    return sent


def test_the_panel_shows_classes_scores_and_the_explanation(scored, manager_a, client_for):
    retailer_a, _b = scored
    response = client_for(manager_a).get(reverse("segmentation:retailer-scores", args=[retailer_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "流失风险：已 4 周未订货，平时每周订货" in html
    assert 'id="score-classes"' in html
    assert "scoring-run-now" not in html  # a customer manager cannot start runs


def test_the_panel_of_another_territory_is_404(scored, manager_a, client_for):
    _a, retailer_b = scored
    response = client_for(manager_a).get(reverse("segmentation:retailer-scores", args=[retailer_b.pk]))
    assert response.status_code == 404


def test_the_portrait_loads_the_panel(scored, manager_a, client_for):
    retailer_a, _b = scored
    html = client_for(manager_a).get(retailer_a.get_absolute_url()).content.decode()
    assert reverse("segmentation:retailer-scores", args=[retailer_a.pk]) in html


def test_a_supervisor_runs_now_and_the_task_is_queued_after_commit(
    scored, supervisor_a, manager_a, client_for, queued, django_capture_on_commit_callbacks
):
    retailer_a, _b = scored
    url = reverse("segmentation:scoring-run-start", args=[retailer_a.pk])
    assert client_for(manager_a).post(url).status_code == 403
    client = client_for(supervisor_a)
    assert (
        "scoring-run-now"
        in client.get(reverse("segmentation:retailer-scores", args=[retailer_a.pk])).content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 200
    run = ScoringRun.objects.get(status=ScoringRun.Status.QUEUED)
    assert queued == [run.pk]
    assert run.created_by == supervisor_a
    assert 'hx-trigger="every 5s"' in response.content.decode()  # the panel polls until the run is done
    assert client.post(url).status_code == 409


def test_api_lists_only_scores_in_scope_and_filters_by_class(
    scored, manager_a, company_admin, api_client_for
):
    retailer_a, retailer_b = scored
    client = api_client_for(manager_a)
    rows = client.get("/api/v1/scores/").json()["results"]
    assert [r["retailer"] for r in rows] == [retailer_a.pk]
    assert rows[0]["lifecycle"] == "at_risk"
    assert client.get(f"/api/v1/scores/{retailer_b.pk}/").status_code == 404
    assert client.get(f"/api/v1/scores/{retailer_a.pk}/").json()["retailer"] == retailer_a.pk

    admin = api_client_for(company_admin)
    assert {r["retailer"] for r in admin.get("/api/v1/scores/").json()["results"]} == {
        retailer_a.pk,
        retailer_b.pk,
    }
    active = admin.get("/api/v1/scores/", {"lifecycle": "active"}).json()["results"]
    assert [r["retailer"] for r in active] == [retailer_b.pk]
    assert admin.get("/api/v1/scores/", {"value_class": "nonsense"}).status_code == 400


def test_api_starts_a_run_for_a_supervisor_only_and_answers_409_while_one_runs(
    db, manager_a, supervisor_a, api_client_for, queued, django_capture_on_commit_callbacks
):
    assert api_client_for(manager_a).post("/api/v1/scoring-runs/", {}).status_code == 403
    client = api_client_for(supervisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/scoring-runs/", {"as_of": "2025-06-04"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued"
    assert body["parameters"]["as_of"] == "2025-06-04"
    assert queued == [body["id"]]
    assert client.post("/api/v1/scoring-runs/", {}, format="json").status_code == 409
    assert client.get(f"/api/v1/scoring-runs/{body['id']}/").json()["status"] == "queued"


def test_admin_pages_of_every_model_open(scored, company_admin, client_for):
    client = client_for(company_admin)
    for name in ("scoringrun", "retailerscore", "scorechange", "scoringevent", "lifecyclerule"):
        assert client.get(reverse(f"admin:segmentation_{name}_changelist")).status_code == 200
    # the rule is one row, seeded with the defaults (migration 0007; a flushing test may have removed it): the admin
    # edits it and cannot add another
    rule = LifecycleRule.objects.order_by("id").first() or LifecycleRule.objects.create()
    assert client.get(reverse("admin:segmentation_lifecyclerule_add")).status_code == 403
    assert client.get(reverse("admin:segmentation_lifecyclerule_change", args=[rule.pk])).status_code == 200


def test_the_explorer_counts_only_the_users_territory(route_a, route_b, manager_a, score_now, client_for):
    mine = [RetailerFactory(route=route_a, tier=12) for _ in range(3)]
    RetailerFactory(route=route_b, tier=12)
    score_now()

    response = client_for(manager_a).get("/segmentation/explorer/")

    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["total"] == len(mine)
    assert sum(s["count"] for s in figures["lifecycle"]) == 3
    assert [t["count"] for t in figures["tiers"] if t["key"] == "12"] == [3]
    assert figures["pareto"][0] == {"retailers": 0.0, "amount": 0.0}
    assert 'id="chart-pareto"' in response.content.decode()


def test_the_explorer_pareto_curve_is_cumulative(route_a, supervisor_a, place_orders, score_now):
    amounts = [80, 10, 5, 5]  # cartons, one order each: 4 retailers → 4 Pareto buckets
    for cartons in amounts:
        place_orders(RetailerFactory(route=route_a), [(weeks_ago(2), cartons)])
    score_now()

    pareto = explorer_figures(user=supervisor_a)["pareto"]

    assert pareto == [
        {"retailers": 0.0, "amount": 0.0},
        {"retailers": 25.0, "amount": 80.0},
        {"retailers": 50.0, "amount": 90.0},
        {"retailers": 75.0, "amount": 95.0},
        {"retailers": 100.0, "amount": 100.0},
    ]


def test_the_explorer_without_scores_says_when_they_come(manager_a, client_for):
    body = client_for(manager_a).get("/segmentation/explorer/").content.decode()
    assert 'id="explorer-empty"' in body


def test_the_explorer_runs_panel_starts_a_run_and_polls_until_done(
    scored, supervisor_a, manager_a, client_for, queued, django_capture_on_commit_callbacks
):
    url = reverse("segmentation:scoring-runs")
    assert client_for(manager_a).get(url).status_code == 403
    assert client_for(manager_a).post(url).status_code == 403
    assert 'id="scoring-runs"' not in client_for(manager_a).get("/segmentation/explorer/").content.decode()
    client = client_for(supervisor_a)
    assert 'id="scoring-runs"' in client.get("/segmentation/explorer/").content.decode()
    panel = client.get(url).content.decode()
    assert "explorer-run-now" in panel
    assert "every 5s" not in panel  # the finished run of the fixture: nothing to poll for

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(url)

    assert started.status_code == 200
    run = ScoringRun.objects.get(status=ScoringRun.Status.QUEUED)
    assert queued == [run.pk]
    assert 'hx-trigger="every 5s"' in started.content.decode()
    assert client.post(url).status_code == 409


def test_scoring_runs_api_answers_every_role_as_the_runs_page_does(
    manager_a, supervisor_a, company_admin, integration_user, client_for, api_client_for
):
    run = ScoringRun.objects.create()
    page = reverse("segmentation:scoring-runs")
    answers = {}
    for user in (manager_a, supervisor_a, company_admin, integration_user):
        api = api_client_for(user)
        answers[user.role] = (
            client_for(user).get(page).status_code,
            api.get("/api/v1/scoring-runs/").status_code,
            api.get(f"/api/v1/scoring-runs/{run.pk}/").status_code,
        )
    assert answers == {
        "manager": (403, 403, 403),
        "supervisor": (200, 200, 200),
        "admin": (200, 200, 200),
        "integration": (403, 403, 403),
    }
