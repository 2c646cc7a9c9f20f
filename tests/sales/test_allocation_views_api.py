"""Allocation pages and API: the editor round trip, preview and publish from the browser, the portrait panel,
fill-rate CSV audited, and another territory answering 404 everywhere."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import RetailerExport
from sales.allocation.models import AllocationPlan
from sales.allocation.services import allocation_plan_create, allocation_plan_publish
from tests.accounts.factories import RetailerFactory
from tests.sales.allocation_cases import MONDAY, RULES, WED

pytestmark = pytest.mark.django_db


def grid(rows):
    data = {"tier_from": [], "tier_to": [], "town": [], "rural": []}
    for a, b, town, rural in rows:
        data["tier_from"].append(str(a))
        data["tier_to"].append(str(b))
        data["town"].append(str(town))
        data["rural"].append(str(rural))
    return data


def test_the_editor_creates_a_draft_and_the_detail_shows_the_preview(
    client_for, supervisor_a, county_a, scarce, county
):
    client = client_for(supervisor_a)
    assert client.get("/sales/allocation/new/").status_code == 200
    response = client.post(
        "/sales/allocation/new/",
        {
            "product": scarce.pk,
            "org_unit": county_a.pk,
            "cycle_start": MONDAY.isoformat(),
            "supply_cartons": "10",
            **grid([(20, 30, 2, 1), (10, 19, 1, ""), ("", "", "", "")]),
        },
    )
    plan = AllocationPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/sales/allocation/{plan.pk}/"
    assert sorted(plan.rules.values_list("tier_from", "tier_to", "market_type", "cartons")) == [
        (10, 19, "C", 1),
        (20, 30, "C", 2),
        (20, 30, "X", 1),
    ]
    page = client.get(f"/sales/allocation/{plan.pk}/").content.decode()
    assert 'id="preview-total">4<' in page
    assert 'id="publish-plan"' in page


def test_the_editor_shows_bad_rows_and_writes_nothing(client_for, supervisor_a, county_a, scarce):
    response = client_for(supervisor_a).post(
        "/sales/allocation/new/",
        {
            "product": scarce.pk,
            "org_unit": county_a.pk,
            "cycle_start": MONDAY.isoformat(),
            "supply_cartons": "10",
            **grid([(1, 20, 2, ""), (15, 30, -1, "")]),
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "限量不能为负数" in text
    assert not AllocationPlan.objects.exists()


def test_publishing_over_supply_from_the_page_needs_the_reason(client_for, supervisor_a, draft):
    client = client_for(supervisor_a)
    client.post(f"/sales/allocation/{draft.pk}/publish/", {"override_reason": ""})
    draft.refresh_from_db()
    assert draft.state == "draft"
    client.post(f"/sales/allocation/{draft.pk}/publish/", {"override_reason": "省局追加"})
    draft.refresh_from_db()
    assert (draft.state, draft.override_reason) == ("published", "省局追加")
    assert client.get(f"/sales/allocation/{draft.pk}/edit/").status_code == 302  # locked


def test_a_manager_does_not_see_drafts(client_for, api_client_for, manager_a, draft):
    assert client_for(manager_a).get(f"/sales/allocation/{draft.pk}/").status_code == 404
    assert api_client_for(manager_a).get("/api/v1/allocation/plans/").json()["results"] == []


def test_a_manager_reads_allowances_but_may_not_plan(client_for, manager_a, draft, supervisor_a):
    allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="x")
    client = client_for(manager_a)
    assert client.get("/sales/allocation/").status_code == 200
    assert client.get(f"/sales/allocation/{draft.pk}/").status_code == 200
    assert client.get("/sales/allocation/new/").status_code == 403
    assert client.post(f"/sales/allocation/{draft.pk}/publish/").status_code == 403


def test_the_portrait_panel_explains_this_weeks_allowance(
    client_for, manager_a, supervisor_a, county_a, scarce, county
):
    today = timezone.localdate()
    plan = allocation_plan_create(
        actor=supervisor_a,
        product_id=scarce.pk,
        org_unit_id=county_a.pk,
        cycle_start=today - datetime.timedelta(days=today.weekday()),
        supply_cartons=10,
        rules=RULES,
    )
    allocation_plan_publish(actor=supervisor_a, plan=plan)
    client = client_for(manager_a)
    page = client.get(f"/sales/retailers/{county['town24'].pk}/allowance/").content.decode()
    assert "黄鹤楼（软蓝）" in page
    assert "档位 24 · 城镇 → 每周 2 条" in page
    page = client.get(f"/sales/retailers/{county['suspended'].pk}/allowance/").content.decode()
    assert "许可证暂停 → 0 条" in page
    portrait = client.get(f"/retailers/{county['town24'].pk}/").content.decode()
    assert f"/sales/retailers/{county['town24'].pk}/allowance/" in portrait


def test_other_territories_answer_404(
    client_for, api_client_for, manager_b, supervisor_a, draft, county, retailer_b
):
    allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="x")
    shop = county["town24"]
    assert client_for(manager_b).get(f"/sales/retailers/{shop.pk}/allowance/").status_code == 404
    assert client_for(manager_b).get(f"/sales/allocation/{draft.pk}/").status_code == 404  # county A's plan
    api = api_client_for(manager_b)
    assert api.get(f"/api/v1/allocation/plans/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/allocation/allowances/?retailer={shop.pk}").status_code == 404
    assert api.get(f"/api/v1/allocation/allowances/?retailer={retailer_b.pk}&day={WED}").json() == []


def test_api_creates_previews_and_publishes(api_client_for, supervisor_a, county_a, scarce, county):
    api = api_client_for(supervisor_a)
    body = {
        "product": scarce.pk,
        "org_unit": county_a.pk,
        "cycle_start": MONDAY.isoformat(),
        "supply_cartons": 3,
        "rules": RULES,
    }
    created = api.post("/api/v1/allocation/plans/", body, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    preview = api.get(f"/api/v1/allocation/plans/{pk}/preview/").json()
    assert (preview["total"], preview["supply"], preview["over"]) == (4, 3, True)
    refused = api.post(f"/api/v1/allocation/plans/{pk}/publish/", {}, format="json")
    assert refused.status_code == 400
    assert "override_reason" in refused.json()
    assert (
        api.put(
            f"/api/v1/allocation/plans/{pk}/", {"supply_cartons": 4, "rules": RULES}, format="json"
        ).status_code
        == 200
    )
    published = api.post(f"/api/v1/allocation/plans/{pk}/publish/", {}, format="json")
    assert published.json()["state"] == "published"
    locked = api.put(f"/api/v1/allocation/plans/{pk}/", {"supply_cartons": 9, "rules": RULES}, format="json")
    assert locked.status_code == 409
    allowances = api.get(f"/api/v1/allocation/allowances/?retailer={county['town24'].pk}&day={WED}").json()
    assert [(a["cartons"], a["explanation"]) for a in allowances] == [(2, "档位 24 · 城镇 → 每周 2 条")]
    fill = api.get(f"/api/v1/allocation/fill-rate/?day={WED}").json()
    assert {r["tier"]: r["allowed"] for r in fill} == {
        28: 0,
        26: 0,
        24: 3,
        10: 1,
        5: 0,
    }  # suspended/expired: 0
    version = api.post(f"/api/v1/allocation/plans/{pk}/new-version/")
    assert (version.status_code, version.json()["version"]) == (201, 2)


def test_api_refuses_bad_input(api_client_for, supervisor_a, county_a, scarce):
    api = api_client_for(supervisor_a)
    base = {"org_unit": county_a.pk, "cycle_start": MONDAY.isoformat(), "supply_cartons": 3}
    overlapping = [
        {"tier_from": 1, "tier_to": 20, "market_type": "C", "cartons": 1},
        {"tier_from": 10, "tier_to": 30, "market_type": "C", "cartons": 1},
    ]
    assert (
        api.post(
            "/api/v1/allocation/plans/", {**base, "product": scarce.pk, "rules": overlapping}, format="json"
        ).status_code
        == 400
    )
    assert (
        api.post(
            "/api/v1/allocation/plans/", {**base, "product": 999999, "rules": RULES}, format="json"
        ).status_code
        == 400
    )
    negative = [{"tier_from": 1, "tier_to": 30, "market_type": "C", "cartons": -2}]
    response = api.post(
        "/api/v1/allocation/plans/", {**base, "product": scarce.pk, "rules": negative}, format="json"
    )
    assert response.status_code == 400
    assert "负数" in str(response.json())
    without_supply = {k: v for k, v in base.items() if k != "supply_cartons"}
    response = api.post(
        "/api/v1/allocation/plans/", {**without_supply, "product": scarce.pk, "rules": RULES}, format="json"
    )
    assert response.status_code == 400  # was a KeyError (500)
    assert set(response.json()) == {"supply_cartons"}
    assert not AllocationPlan.objects.exists()


def test_fill_rate_csv_is_audited_and_managers_cannot_export(
    client_for, supervisor_a, manager_a, draft, county
):
    allocation_plan_publish(actor=supervisor_a, plan=draft, override_reason="x")
    response = client_for(supervisor_a).get(f"/sales/allocation/fill-rate/?cycle={WED}&format=csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("品规,档位")
    assert len(lines) == 6
    export = RetailerExport.objects.get()
    assert (export.user, export.filters, export.row_count) == (
        supervisor_a,
        {"report": "allocation_fill_rate", "cycle": WED.isoformat()},
        5,
    )
    assert (
        client_for(manager_a).get(f"/sales/allocation/fill-rate/?cycle={WED}&format=csv").status_code == 403
    )
    assert client_for(manager_a).get(f"/sales/allocation/fill-rate/?cycle={WED}").status_code == 200


def test_plans_list_pages_by_id(client_for, supervisor_a, county_a, scarce, route_a):
    RetailerFactory(route=route_a, tier=24)
    for week in range(3):
        allocation_plan_create(
            actor=supervisor_a,
            product_id=scarce.pk,
            org_unit_id=county_a.pk,
            cycle_start=MONDAY + datetime.timedelta(weeks=week),
            supply_cartons=5,
            rules=RULES,
        )
    page = client_for(supervisor_a).get("/sales/allocation/").content.decode()
    assert page.count("黄鹤楼（软蓝）</a>") == 3


def test_junk_query_parameters_are_ignored_or_refused_never_500(
    api_client_for, client_for, supervisor_a, draft
):
    api = api_client_for(supervisor_a)
    assert api.get("/api/v1/allocation/plans/?product=abc&state=zzz").status_code == 200
    assert api.get("/api/v1/allocation/plans/?cycle=2025-13-01").status_code == 400
    assert api.get("/api/v1/allocation/excess/?plan=x").status_code == 200
    assert api.get("/api/v1/allocation/allowances/?retailer=x").status_code == 400
    assert api.get("/api/v1/allocation/fill-rate/?day=yesterday").status_code == 400
    assert (
        client_for(supervisor_a).get("/sales/allocation/?product=abc&cycle=nope&before=x").status_code == 200
    )


def test_admin_lists_plans_and_excess_and_publishes_drafts_through_the_service(
    client_for, company_admin, draft
):
    client = client_for(company_admin)
    assert client.get("/admin/sales/allocationplan/").status_code == 200
    assert client.get(f"/admin/sales/allocationplan/{draft.pk}/change/").status_code == 200
    assert client.get("/admin/sales/allocationexcess/").status_code == 200
    assert client.get("/admin/sales/allocationrule/?market_type=C").status_code == 200
    # over the supply: the admin action refuses (no override reason there) and the draft stays a draft
    client.post("/admin/sales/allocationplan/", {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.state == "draft"
