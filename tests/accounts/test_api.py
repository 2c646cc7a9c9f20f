"""/api/v1/retailers/: validation naming the field, masking by permission, cursor pages, filters and auth."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Retailer
from crm.roles import ROLE_PERMISSIONS
from tests.accounts.factories import RetailerFactory, retailer_data
from tests.users.factories import IntegrationFactory
from users.models import User

API_URL = "/api/v1/retailers/"


def api_body(route, **overrides) -> dict:
    data = retailer_data(route=route, **overrides)
    data["route"] = route.pk
    data["org_unit"] = route.org_unit_id
    for name in ("licence_issued_on", "licence_expires_on"):
        data[name] = data[name].isoformat()
    return data


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_create_returns_201_with_the_phone_masked_and_stores_it_in_full(route_a, manager_a, token_client_for):
    response = token_client_for(manager_a).post(
        API_URL, api_body(route_a, mobile="+86 138 0000 4321"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mobile"] == "138****4321"
    assert body["class_code"] == "CB2"
    assert body["route_code"] == route_a.code
    assert Retailer.objects.get(pk=body["id"]).mobile == "13800004321"


def test_create_returns_a_masked_phone_without_contact_permission(
    route_a, company, monkeypatch, token_client_for
):
    perms = ROLE_PERMISSIONS[User.Role.INTEGRATION] - {"accounts.view_contact_details"}
    monkeypatch.setitem(ROLE_PERMISSIONS, User.Role.INTEGRATION, perms)
    user = IntegrationFactory(org_unit=company)
    response = token_client_for(user).post(API_URL, api_body(route_a, mobile="13800004321"), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["mobile"] == "138****4321"
    assert Retailer.objects.get(pk=response.json()["id"]).mobile == "13800004321"


@pytest.mark.parametrize(
    "licence",
    ["41030210001", "410302300001", "110101100001", "410305100001", "4103021000011", "41030A100001"],
)
def test_create_with_a_bad_licence_returns_400_naming_licence_no(
    route_a, manager_a, token_client_for, licence
):
    response = token_client_for(manager_a).post(API_URL, api_body(route_a, licence_no=licence), format="json")
    assert response.status_code == 400
    assert "licence_no" in response.json()
    assert not Retailer.objects.exists()


def test_create_with_a_duplicate_licence_returns_400(retailer_a, route_a, manager_a, token_client_for):
    response = token_client_for(manager_a).post(
        API_URL, api_body(route_a, licence_no=retailer_a.licence_no), format="json"
    )
    assert response.status_code == 400
    assert "licence_no" in response.json()
    assert Retailer.objects.count() == 1


def test_create_reports_every_bad_identifier_at_once(route_a, manager_a, token_client_for):
    response = token_client_for(manager_a).post(
        API_URL,
        api_body(route_a, licence_no="410302300001", mobile="12345", owner_id_number="410302198001010011"),
        format="json",
    )
    assert response.status_code == 400
    assert {"licence_no", "mobile", "owner_id_number"} <= set(response.json())
    assert not Retailer.objects.exists()


def test_create_ignores_read_only_consent_fields(route_a, manager_a, token_client_for):
    body = api_body(route_a)
    body.update(sms_consent=True, class_code="QQ9")
    response = token_client_for(manager_a).post(API_URL, body, format="json")
    assert response.status_code == 201
    retailer = Retailer.objects.get(pk=response.json()["id"])
    assert retailer.sms_consent is False
    assert retailer.class_code == "CB2"


def test_patch_changes_a_field(retailer_a, manager_a, token_client_for):
    response = token_client_for(manager_a).patch(
        f"{API_URL}{retailer_a.pk}/", {"shop_name": "老城甲号超市"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["shop_name"] == "老城甲号超市"
    retailer_a.refresh_from_db()
    assert retailer_a.shop_name == "老城甲号超市"


def test_patch_with_a_bad_value_returns_400_and_changes_nothing(retailer_a, manager_a, token_client_for):
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    response = token_client_for(manager_a).patch(
        f"{API_URL}{retailer_a.pk}/", {"licence_expires_on": "2099-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "licence_expires_on" in response.json()
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_cursor_pagination_returns_next_until_the_end(route_a, manager_a, token_client_for):
    created = [RetailerFactory(route=route_a) for _ in range(5)]
    client = token_client_for(manager_a)
    first = client.get(API_URL, {"page_size": 2}).json()
    assert first["next"]
    assert "count" not in first  # no COUNT(*) on a big list
    seen = [row["id"] for row in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted((r.pk for r in created), reverse=True)


def test_page_size_is_bounded_and_a_bad_cursor_is_refused(route_a, manager_a, token_client_for):
    RetailerFactory(route=route_a)
    client = token_client_for(manager_a)
    assert client.get(API_URL, {"page_size": 200}).status_code == 200
    response = client.get(API_URL, {"page_size": 100000})
    assert response.status_code == 400
    assert set(response.json()) == {"page_size"}
    response = client.get(API_URL, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert set(response.json()) == {"cursor"}


def test_filter_tier_min(route_a, manager_a, token_client_for):
    low = RetailerFactory(route=route_a, tier=4)
    high = RetailerFactory(route=route_a, tier=25)
    none = RetailerFactory(route=route_a, tier=None)
    result = ids(token_client_for(manager_a).get(API_URL, {"tier_min": 20}))
    assert result == [high.pk]
    assert low.pk not in result
    assert none.pk not in result


def test_filter_tier_min_out_of_range_is_400(route_a, manager_a, token_client_for):
    assert token_client_for(manager_a).get(API_URL, {"tier_min": 31}).status_code == 400


def test_filter_credit_grade_accepts_several_grades(route_a, manager_a, token_client_for):
    aa = RetailerFactory(route=route_a, credit_grade="AA")
    b = RetailerFactory(route=route_a, credit_grade="B")
    RetailerFactory(route=route_a, credit_grade="C")
    result = ids(token_client_for(manager_a).get(f"{API_URL}?credit_grade=AA&credit_grade=B"))
    assert sorted(result) == sorted([aa.pk, b.pk])


def test_filter_expiring_within(route_a, manager_a, token_client_for):
    today = timezone.localdate()
    soon = RetailerFactory(
        route=route_a,
        licence_issued_on=today - datetime.timedelta(days=4 * 365),
        licence_expires_on=today + datetime.timedelta(days=20),
    )
    expired = RetailerFactory(
        route=route_a,
        licence_issued_on=today - datetime.timedelta(days=5 * 365),
        licence_expires_on=today - datetime.timedelta(days=3),
    )
    RetailerFactory(route=route_a)  # expires in about four years
    client = token_client_for(manager_a)
    assert sorted(ids(client.get(API_URL, {"expiring_within": 30}))) == sorted([soon.pk, expired.pk])
    assert ids(client.get(API_URL, {"expiring_within": 10})) == [expired.pk]


@pytest.mark.parametrize("field", ["shop_name", "owner_name", "licence_no", "mobile", "customer_code"])
def test_filter_q_searches_names_licence_phone_and_code(
    retailer_a, route_a, manager_a, token_client_for, field
):
    RetailerFactory(route=route_a)
    term = getattr(retailer_a, field)[1:-1]  # a substring
    assert retailer_a.pk in ids(token_client_for(manager_a).get(API_URL, {"q": term}))
    assert ids(token_client_for(manager_a).get(API_URL, {"q": getattr(retailer_a, field)})) == [retailer_a.pk]


def test_filter_q_with_chinese_text(retailer_a, route_a, manager_a, token_client_for):
    RetailerFactory(route=route_a, shop_name="红星烟酒商行")
    assert ids(token_client_for(manager_a).get(API_URL, {"q": "甲号"})) == [retailer_a.pk]


def test_token_authentication_works(retailer_a, manager_a, token_client_for):
    assert ids(token_client_for(manager_a).get(API_URL)) == [retailer_a.pk]


def test_a_wrong_token_is_refused(retailer_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get(API_URL)
    assert response.status_code == 401
    assert retailer_a.shop_name not in response.content.decode()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unauthenticated_requests_are_refused(retailer_a, method):
    count = Retailer.objects.count()
    response = getattr(APIClient(), method)(API_URL, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert Retailer.objects.count() == count
    assert retailer_a.shop_name not in response.content.decode()


def test_unauthenticated_detail_is_refused(retailer_a):
    response = APIClient().get(f"{API_URL}{retailer_a.pk}/")
    assert response.status_code == 401
    assert retailer_a.shop_name not in response.content.decode()


def test_delete_is_not_offered(retailer_a, company_admin, token_client_for):
    assert token_client_for(company_admin).delete(f"{API_URL}{retailer_a.pk}/").status_code == 405
    assert Retailer.objects.filter(pk=retailer_a.pk).exists()


def test_schema_documents_the_retailer_operations(manager_a, client_for):
    response = client_for(manager_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/retailers/"]) >= {"get", "post"}
    assert set(paths["/api/v1/retailers/{id}/"]) >= {"get", "put", "patch"}
    operation_ids = [op["operationId"] for ops in paths.values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
