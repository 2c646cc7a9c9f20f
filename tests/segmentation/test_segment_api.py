"""/api/v1/segments/: scoped lists and 404s, structured 400s naming the rule path, members with masked phones,
preview, the field catalogue."""

import pytest

from segmentation.segments.models import Segment
from segmentation.segments.services import segment_create

TIER_20 = {"field": "tier", "operator": "gte", "value": 20}


@pytest.fixture
def county_segment(shops, supervisor_a, county_a):
    return segment_create(
        user=supervisor_a, name="老城高档位", org_unit=county_a, definition={"op": "and", "rules": [TIER_20]}
    )


def test_a_supervisor_creates_and_reads_a_segment(shops, supervisor_a, county_a, dept_a, api_client_for):
    client = api_client_for(supervisor_a)
    body = {
        "name": "流失预警",
        "description": "回访",
        "definition": {
            "op": "and",
            "rules": [{"field": "lifecycle", "operator": "in", "value": ["at_risk"]}],
        },
    }
    response = client.post("/api/v1/segments/", body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["org_unit"] == supervisor_a.org_unit_id
    assert data["rules_text"] == "生命周期 为 流失风险"
    assert data["created_by"]["username"] == supervisor_a.username
    assert client.get(f"/api/v1/segments/{data['id']}/").json()["name"] == "流失预警"
    assert [s["id"] for s in client.get("/api/v1/segments/").json()["results"]] == [data["id"]]
    assert client.get("/api/v1/segments/", {"q": "预警"}).json()["results"][0]["id"] == data["id"]
    assert client.get("/api/v1/segments/", {"org_unit": dept_a.pk}).json()["results"] == []


def test_a_bad_definition_answers_400_naming_the_rule_and_saves_nothing(shops, supervisor_a, api_client_for):
    definition = {
        "op": "and",
        "rules": [TIER_20, {"op": "or", "rules": [{"field": "xyz", "operator": "in"}]}],
    }
    response = api_client_for(supervisor_a).post(
        "/api/v1/segments/", {"name": "坏", "definition": definition}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "definition": ["规则 2.1：未知字段 xyz"],
        "rules": [{"path": "2.1", "code": "unknown_field", "message": "规则 2.1：未知字段 xyz"}],
    }
    assert not Segment.objects.exists()


def test_a_manager_cannot_create_for_another_org_unit(shops, manager_a, dept_b, api_client_for):
    response = api_client_for(manager_a).post(
        "/api/v1/segments/",
        {"name": "越权", "org_unit": dept_b.pk, "definition": {"op": "and", "rules": []}},
        format="json",
    )
    assert response.status_code == 400
    assert "org_unit" in response.json()
    assert not Segment.objects.exists()


def test_another_territorys_segment_is_404_everywhere(county_segment, manager_b, api_client_for):
    client = api_client_for(manager_b)
    base = f"/api/v1/segments/{county_segment.pk}/"
    assert client.get(base).status_code == 404
    assert client.get(base + "members/").status_code == 404
    assert client.patch(base, {"name": "抢"}, format="json").status_code == 404
    assert client.post(base + "archive/").status_code == 404
    assert client.get("/api/v1/segments/").json()["results"] == []


def test_update_and_archive(county_segment, supervisor_a, manager_a, api_client_for):
    base = f"/api/v1/segments/{county_segment.pk}/"
    assert api_client_for(manager_a).patch(base, {"name": "经理改"}, format="json").status_code == 403
    client = api_client_for(supervisor_a)
    bad = client.patch(base, {"definition": {"op": "and", "rules": [{**TIER_20, "value": 0}]}}, format="json")
    assert bad.json()["rules"] == [
        {"path": "1", "code": "bad_value", "message": "规则 1：档位：应在 1 到 30 之间"}
    ]
    assert client.patch(base, {"name": "改名"}, format="json").json()["name"] == "改名"
    assert client.post(base + "archive/").json()["is_archived"] is True
    assert client.get("/api/v1/segments/").json()["results"] == []
    assert [s["id"] for s in client.get("/api/v1/segments/?archived=true").json()["results"]] == [
        county_segment.pk
    ]
    assert client.patch(base, {"name": "再改"}, format="json").status_code == 409


def test_members_are_paginated_scoped_and_masked(county_segment, supervisor_a, manager_a, api_client_for):
    client = api_client_for(supervisor_a)
    page = client.get(f"/api/v1/segments/{county_segment.pk}/members/?page_size=1").json()
    assert [r["shop_name"] for r in page["results"]] == ["老城二号食杂店"]
    second = client.get(page["next"]).json()
    assert [r["shop_name"] for r in second["results"]] == ["老城一号便利店"]
    assert second["next"] is None
    assert "****" in second["results"][0]["mobile"]
    # the manager of route_a sees the same two; no retailer outside the segment's unit ever shows
    rows = api_client_for(manager_a).get(f"/api/v1/segments/{county_segment.pk}/members/").json()["results"]
    assert {r["shop_name"] for r in rows} == {"老城一号便利店", "老城二号食杂店"}


def test_preview_counts_an_unsaved_definition(shops, supervisor_a, county_b, api_client_for):
    client = api_client_for(supervisor_a)
    response = client.post(
        "/api/v1/segments/preview/", {"definition": {"op": "and", "rules": [TIER_20]}}, format="json"
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["capped"], data["rules_text"]) == (2, False, "档位 ≥ 20")
    assert [r["shop_name"] for r in data["sample"]] == ["老城二号食杂店", "老城一号便利店"]
    bad = client.post("/api/v1/segments/preview/", {"definition": {"op": "and", "rules": [1]}}, format="json")
    assert bad.status_code == 400
    assert bad.json()["rules"][0]["path"] == "1"
    other = client.post(
        "/api/v1/segments/preview/",
        {"definition": {"op": "and", "rules": []}, "org_unit": county_b.pk},
        format="json",
    )
    assert other.status_code == 400
    assert "org_unit" in other.json()


def test_the_field_catalogue(shops, manager_a, route_a, api_client_for):
    fields = {f["name"]: f for f in api_client_for(manager_a).get("/api/v1/segments/fields/").json()}
    assert fields["route"]["choices"] == [{"value": route_a.pk, "label": str(route_a)}]
    assert fields["monetary"]["unit"] == "元"
    assert fields["cartons_weeks"]["type"] == "measure"


def test_an_integration_reads_but_does_not_write(county_segment, integration_user, token_client_for):
    client = token_client_for(integration_user)
    assert client.get(f"/api/v1/segments/{county_segment.pk}/").status_code == 200
    response = client.post(
        "/api/v1/segments/", {"name": "x", "definition": {"op": "and", "rules": []}}, format="json"
    )
    assert response.status_code == 403
