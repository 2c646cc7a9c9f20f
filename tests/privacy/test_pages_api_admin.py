"""The page, the API and the admin of personal-information requests: each action through its service, refusals as
403/404/409, scoping by territory, corrections masked outside the person's own copy."""

import json

import pytest

from accounts.models import Retailer, RetailerExport
from privacy.models import PrivacyRequest
from privacy.services import privacy_request_create
from tests.privacy.conftest import PHONE

pytestmark = pytest.mark.django_db


def test_a_manager_registers_a_request_from_the_page(retailer_a, manager_a, client_for):
    client = client_for(manager_a)
    page = client.get(f"/privacy/new/?retailer={retailer_a.pk}")
    assert page.status_code == 200
    assert retailer_a.customer_code in page.content.decode()
    response = client.post(
        "/privacy/new/",
        {
            "customer_code": retailer_a.customer_code,
            "kind": "correct",
            "channel": "visit",
            "new_owner_name": "周新",
        },
    )
    request = PrivacyRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/privacy/{request.pk}/"
    assert request.corrections == {"owner_name": "周新"}
    listing = client.get("/privacy/")
    assert retailer_a.shop_name in listing.content.decode()


def test_the_page_refuses_another_territorys_retailer(retailer_b, manager_a, client_for):
    response = client_for(manager_a).post(
        "/privacy/new/", {"customer_code": retailer_b.customer_code, "kind": "access", "channel": "visit"}
    )
    assert response.status_code == 200
    assert "管辖范围" in response.content.decode()
    assert not PrivacyRequest.objects.exists()


def test_a_manager_cannot_approve_a_deletion_on_the_page_api_or_admin(
    retailer_a, manager_a, client_for, api_client_for
):
    request = privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="delete")
    assert client_for(manager_a).post(f"/privacy/{request.pk}/approve/").status_code == 403
    assert (
        api_client_for(manager_a).post(f"/api/v1/privacy-requests/{request.pk}/approve/").status_code == 403
    )
    assert (
        client_for(manager_a).get("/admin/privacy/privacyrequest/").status_code == 302
    )  # not staff: to the admin login
    assert Retailer.objects.get(pk=retailer_a.pk).mobile == "13800001234"
    assert PrivacyRequest.objects.get(pk=request.pk).status == "open"


def test_a_supervisor_approves_a_deletion_on_the_page_and_sees_the_statement(
    person, manager_a, supervisor_a, client_for
):
    request = privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="delete")
    client = client_for(supervisor_a)
    response = client.post(f"/privacy/{request.pk}/approve/")
    assert response.status_code == 302
    page = client.get(f"/privacy/{request.pk}/").content.decode()
    assert "campaigns.Delivery" in page
    assert "5 months" in page
    assert Retailer.objects.get(pk=person.pk).mobile != PHONE
    # done: a second approval is refused with the reason, nothing changes
    again = client.post(f"/privacy/{request.pk}/approve/", follow=True)
    assert "已办结" in again.content.decode()


def test_the_see_export_downloads_from_the_page_and_the_api(
    person, manager_a, supervisor_a, client_for, api_client_for
):
    request = privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="access")
    page = client_for(supervisor_a).post(f"/privacy/{request.pk}/export.xlsx")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("application/vnd.openxmlformats")
    api = api_client_for(supervisor_a).post(f"/api/v1/privacy-requests/{request.pk}/export/?format=json")
    assert api.status_code == 200
    assert json.loads(api.content)["retailer"] == person.pk
    assert RetailerExport.objects.filter(unmasked=True).count() == 2
    # the manager may not take the unmasked copy
    assert client_for(manager_a).post(f"/privacy/{request.pk}/export.json").status_code == 403


def test_the_api_registers_lists_and_masks_corrections(retailer_a, retailer_b, manager_a, api_client_for):
    client = api_client_for(manager_a)
    created = client.post(
        "/api/v1/privacy-requests/",
        {"retailer": retailer_a.pk, "kind": "correct", "corrections": {"mobile": "13811112222"}},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["corrections"] == {"mobile": "138****2222"}
    assert body["due_at"]
    listed = client.get("/api/v1/privacy-requests/").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]
    other = client.post(
        "/api/v1/privacy-requests/", {"retailer": retailer_b.pk, "kind": "access"}, format="json"
    )
    assert other.status_code == 400
    duplicate = client.post(
        "/api/v1/privacy-requests/",
        {"retailer": retailer_a.pk, "kind": "correct", "corrections": {"owner_name": "周丁"}},
        format="json",
    )
    assert duplicate.status_code == 409


def test_another_territory_answers_404(retailer_a, manager_a, manager_b, client_for, api_client_for):
    request = privacy_request_create(actor=manager_a, retailer_id=retailer_a.pk, kind="access")
    assert client_for(manager_b).get(f"/privacy/{request.pk}/").status_code == 404
    assert api_client_for(manager_b).get(f"/api/v1/privacy-requests/{request.pk}/").status_code == 404


def test_the_admin_lists_requests_and_approves_through_the_service(
    person, manager_a, company_admin, client_for
):
    request = privacy_request_create(actor=manager_a, retailer_id=person.pk, kind="delete")
    client = client_for(company_admin)
    assert client.get("/admin/privacy/privacyrequest/").status_code == 200
    assert client.get(f"/admin/privacy/privacyrequest/{request.pk}/change/").status_code == 200
    client.post(
        "/admin/privacy/privacyrequest/",
        {"action": "approve_action", "_selected_action": [request.pk]},
    )
    assert PrivacyRequest.objects.get(pk=request.pk).status == "done"
    assert Retailer.objects.get(pk=person.pk).mobile != PHONE
    assert client.get("/admin/privacy/retaileranonymisation/").status_code == 200
    assert client.get("/admin/privacy/privacylog/").status_code == 200
