"""Violation pages and API: recording from the portrait, voiding, the list's filters, scoping (another territory:
404 on page and API), and the credit rule page and endpoint."""

import datetime

import pytest
from django.utils import timezone

from accounts.compliance.models import CreditRule, Violation
from accounts.compliance.services import violation_record

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def seen(actor, retailer, type_="licence_hidden", source="inspection"):
    return violation_record(
        actor=actor,
        retailer=retailer,
        data={"occurred_on": TODAY, "type": type_, "penalty": "warning", "source": source},
    )


def test_a_manager_records_a_visit_finding_from_the_portrait(client_for, manager_a, retailer_a):
    client = client_for(manager_a)
    form = client.get(f"/retailers/violations/new/?retailer={retailer_a.pk}").content.decode()
    assert retailer_a.shop_name in form
    assert 'value="visit"' in form
    assert 'value="inspection"' not in form
    response = client.post(
        f"/retailers/violations/new/?retailer={retailer_a.pk}",
        {
            "occurred_on": TODAY.isoformat(),
            "type": "minors",
            "penalty": "fine",
            "fine_yuan": "500",
            "source": "visit",
        },
    )
    assert response.status_code == 302
    v = Violation.objects.get()
    assert (v.retailer, v.fine_fen, v.recorded_by, v.source) == (retailer_a, 50000, manager_a, "visit")
    retailer_a.refresh_from_db()
    assert retailer_a.credit_grade == "B"
    panel = client.get(f"/retailers/{retailer_a.pk}/violations/").content.decode()
    assert "向未成年人售烟" in panel
    assert "A→B" in panel


def test_the_form_refuses_a_fine_without_amount_and_keeps_nothing(client_for, supervisor_a, retailer_a):
    response = client_for(supervisor_a).post(
        "/retailers/violations/new/",
        {
            "retailer": retailer_a.licence_no,
            "occurred_on": TODAY.isoformat(),
            "type": "minors",
            "penalty": "fine",
            "source": "inspection",
        },
    )
    assert response.status_code == 400
    assert "罚款须填写金额" in response.content.decode()
    assert not Violation.objects.exists()


def test_voiding_from_the_page_needs_a_reason(client_for, supervisor_a, retailer_a):
    violation = seen(supervisor_a, retailer_a, "minors")
    client = client_for(supervisor_a)
    client.post(f"/retailers/violations/{violation.pk}/void/", {"void_reason": ""})
    violation.refresh_from_db()
    assert violation.voided_at is None
    client.post(f"/retailers/violations/{violation.pk}/void/", {"void_reason": "登记错店"})
    violation.refresh_from_db()
    assert violation.void_reason == "登记错店"


def test_list_filters_and_searches(client_for, supervisor_a, retailer_a, route_a):
    from tests.accounts.factories import RetailerFactory

    other = RetailerFactory(route=route_a, shop_name="南关烟酒店")
    seen(supervisor_a, retailer_a, "minors")
    seen(supervisor_a, other, "no_price_tags")
    client = client_for(supervisor_a)
    page = client.get("/retailers/violations/?type=minors").content.decode()
    assert retailer_a.shop_name in page
    assert "南关烟酒店" not in page
    page = client.get("/retailers/violations/?q=南关").content.decode()
    assert "南关烟酒店" in page
    assert retailer_a.shop_name not in page


def test_other_territories_answer_404(client_for, api_client_for, manager_b, supervisor_a, retailer_a):
    violation = seen(supervisor_a, retailer_a)
    client = client_for(manager_b)
    assert client.get(f"/retailers/{retailer_a.pk}/violations/").status_code == 404
    assert client.get(f"/retailers/violations/new/?retailer={retailer_a.pk}").status_code == 404
    assert client.post(f"/retailers/violations/{violation.pk}/void/", {"void_reason": "x"}).status_code == 404
    assert "violations-empty" in client.get("/retailers/violations/").content.decode()
    api = api_client_for(manager_b)
    assert api.get(f"/api/v1/violations/{violation.pk}/").status_code == 404
    assert (
        api.post(f"/api/v1/violations/{violation.pk}/void/", {"void_reason": "x"}, format="json").status_code
        == 404
    )
    body = {
        "retailer": retailer_a.pk,
        "occurred_on": TODAY.isoformat(),
        "type": "other",
        "penalty": "warning",
        "source": "visit",
    }
    assert api.post("/api/v1/violations/", body, format="json").status_code == 404
    assert Violation.objects.count() == 1


def test_api_records_lists_and_voids(api_client_for, supervisor_a, retailer_a):
    api = api_client_for(supervisor_a)
    body = {
        "retailer": retailer_a.pk,
        "occurred_on": (TODAY - datetime.timedelta(days=3)).isoformat(),
        "type": "fake_goods",
        "penalty": "suspension",
        "suspension_days": 7,
        "source": "12313",
    }
    created = api.post("/api/v1/violations/", body, format="json")
    assert created.status_code == 201, created.json()
    retailer_a.refresh_from_db()
    assert retailer_a.credit_grade == "C"
    pk = created.json()["id"]
    assert [v["id"] for v in api.get("/api/v1/violations/?type=fake_goods").json()["results"]] == [pk]
    assert api.post(f"/api/v1/violations/{pk}/void/", {}, format="json").status_code == 400
    voided = api.post(f"/api/v1/violations/{pk}/void/", {"void_reason": "复核撤销"}, format="json")
    assert voided.json()["void_reason"] == "复核撤销"
    assert (
        api.post(f"/api/v1/violations/{pk}/void/", {"void_reason": "again"}, format="json").status_code == 409
    )
    # a violation is voided, never deleted: the endpoint has no DELETE, whatever the caller's permissions
    assert api.delete(f"/api/v1/violations/{pk}/").status_code == 405
    assert Violation.objects.filter(pk=pk).exists()
    retailer_a.refresh_from_db()
    assert retailer_a.credit_grade == "A"


def test_api_refuses_bad_violations(api_client_for, supervisor_a, retailer_a):
    api = api_client_for(supervisor_a)
    base = {"retailer": retailer_a.pk, "occurred_on": TODAY.isoformat(), "source": "inspection"}
    assert (
        api.post(
            "/api/v1/violations/", {**base, "type": "speeding", "penalty": "warning"}, format="json"
        ).status_code
        == 400
    )
    fine = api.post("/api/v1/violations/", {**base, "type": "minors", "penalty": "fine"}, format="json")
    assert fine.status_code == 400
    assert "fine_fen" in fine.json()
    assert not Violation.objects.exists()


def test_credit_rule_is_read_by_staff_and_edited_by_admins(
    api_client_for, client_for, manager_a, company_admin
):
    rule = CreditRule.objects.get(is_active=True)
    assert api_client_for(manager_a).get("/api/v1/credit-rules/").json()[0]["window_months"] == 24
    assert (
        api_client_for(manager_a)
        .patch(f"/api/v1/credit-rules/{rule.pk}/", {"window_months": 12}, format="json")
        .status_code
        == 403
    )
    admin = api_client_for(company_admin)
    assert (
        admin.patch(f"/api/v1/credit-rules/{rule.pk}/", {"window_months": 12}, format="json").status_code
        == 200
    )
    bad = admin.patch(f"/api/v1/credit-rules/{rule.pk}/", {"a_max_points": 50}, format="json")
    assert bad.status_code == 400
    rule.refresh_from_db()
    assert (rule.window_months, rule.a_max_points) == (12, 2)
    page = client_for(manager_a).get("/retailers/credit-rule/").content.decode()
    assert "近 12 个月内的有效违规" in page


def test_list_pages_by_date_then_id(client_for, supervisor_a, route_a, monkeypatch):
    from accounts.compliance import views
    from tests.accounts.factories import RetailerFactory

    monkeypatch.setattr(views, "PAGE", 2)
    shops = [RetailerFactory(route=route_a, shop_name=f"分页店{n}") for n in range(3)]
    for n, shop in enumerate(shops):
        violation_record(
            actor=supervisor_a,
            retailer=shop,
            data={
                "occurred_on": TODAY - datetime.timedelta(days=[5, 1, 3][n]),
                "type": "other",
                "penalty": "warning",
                "source": "inspection",
            },
        )
    client = client_for(supervisor_a)
    first = client.get("/retailers/violations/")
    assert [v.retailer.shop_name for v in first.context["rows"]] == ["分页店1", "分页店2"]
    second = client.get(f"/retailers/violations/?before={first.context['next_before']}")
    assert [v.retailer.shop_name for v in second.context["rows"]] == ["分页店0"]


def test_admin_reads_violations_and_edits_the_rule(client_for, company_admin, supervisor_a, retailer_a):
    seen(supervisor_a, retailer_a)
    client = client_for(company_admin)
    assert client.get("/admin/accounts/violation/?type=licence_hidden").status_code == 200
    assert client.get("/admin/accounts/creditrule/").status_code == 200
    assert client.get("/admin/accounts/violationevent/").status_code == 200
    rule = CreditRule.objects.get(is_active=True)
    type(retailer_a).objects.filter(pk=retailer_a.pk).update(credit_grade="D")  # out of step with the rule
    client.post("/admin/accounts/creditrule/", {"action": "recompute_now", "_selected_action": [rule.pk]})
    retailer_a.refresh_from_db()
    assert retailer_a.credit_grade == "A"


def test_api_junk_filters_do_not_fail(api_client_for, supervisor_a):
    response = api_client_for(supervisor_a).get("/api/v1/violations/?retailer=x&since=nope&type=zzz")
    assert response.status_code == 200
