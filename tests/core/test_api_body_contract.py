"""The API's body contract: an unknown body field is refused (400, named) rather than ignored, on every serializer
of ours; a write naming a stale version in If-Match is refused with 412 and changes nothing."""

import importlib
import pkgutil

from rest_framework import serializers

from accounts.models import Retailer
from core.serializers import StrictFieldsMixin
from tests.our_apps import OUR_APPS as OUR_PACKAGES


def _our_serializers():
    for package_name in OUR_PACKAGES:
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if ".migrations" in module.name or module.name.startswith("crm.settings"):
                continue
            importlib.import_module(module.name)
    seen, todo = set(), [serializers.BaseSerializer]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    return sorted(
        (cls for cls in seen if cls.__module__.split(".")[0] in OUR_PACKAGES),
        key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
    )


def test_every_serializer_of_ours_refuses_unknown_fields():
    found = _our_serializers()
    assert len(found) > 80  # the walk found the API's serializers (not an empty pass)
    loose = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in found
        if not issubclass(cls, StrictFieldsMixin) and not issubclass(cls, serializers.ListSerializer)
    ]
    assert loose == [], "derive from core.serializers.Serializer / ModelSerializer"


def test_an_unknown_body_field_is_named_and_changes_nothing(retailer_a, company_admin, token_client_for):
    client = token_client_for(company_admin)
    url = f"/api/v1/retailers/{retailer_a.pk}/"
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    response = client.patch(url, {"shop_name": "新名字", "moblie": "13800000000"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"moblie"}
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


def test_unknown_fields_are_reported_with_the_other_errors(company_admin, token_client_for):
    client = token_client_for(company_admin)
    response = client.post(
        "/api/v1/retailers/", {"zz_typo": 1}, format="json", headers={"Idempotency-Key": "k-unknown-1"}
    )
    assert response.status_code == 400
    body = response.json()
    assert "zz_typo" in body
    assert "licence_no" in body or "shop_name" in body  # the required fields are still reported


def test_a_stale_if_match_is_412_and_the_current_one_writes(retailer_a, company_admin, token_client_for):
    client = token_client_for(company_admin)
    url = f"/api/v1/retailers/{retailer_a.pk}/"
    shown = client.get(url)
    etag = shown.headers["ETag"]
    Retailer.objects.filter(pk=retailer_a.pk).update(shop_name="别人改过")  # bumps nothing by itself
    other = client.patch(url, {"shop_name": "第一次"}, format="json", headers={"If-Match": etag})
    assert other.status_code == 200, other.content
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    stale = client.patch(url, {"shop_name": "第二次"}, format="json", headers={"If-Match": etag})
    assert stale.status_code == 412
    assert "刷新" in stale.json()["detail"]
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before
    fresh = client.patch(
        url, {"shop_name": "第二次"}, format="json", headers={"If-Match": other.headers["ETag"]}
    )
    assert fresh.status_code == 200, fresh.content


def test_the_schema_documents_if_match_and_412_where_honoured(company_admin, token_client_for):
    schema = token_client_for(company_admin).get("/api/schema/", {"format": "json"}).json()
    patch = schema["paths"]["/api/v1/retailers/{id}/"]["patch"]
    assert "412" in patch["responses"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in patch["parameters"])
    create = schema["paths"]["/api/v1/retailers/"]["post"]
    assert "412" not in create["responses"]


def test_the_gateway_webhooks_are_in_the_schema(company_admin, token_client_for):
    schema = token_client_for(company_admin).get("/api/schema/", {"format": "json"}).json()
    for key in ("receipts", "replies"):
        operation = schema["paths"][f"/api/v1/webhooks/sms/{key}/"]["post"]
        assert operation["security"] == []
        assert {p["name"] for p in operation["parameters"]} == {"X-Timestamp", "X-Signature"}
        assert {"200", "400", "403", "413", "503"} <= set(operation["responses"])


def test_users_are_shown_one_way(retailer_a, manager_a, company_admin, token_client_for):
    client = token_client_for(company_admin)
    shown = client.get(f"/api/v1/retailers/{retailer_a.pk}/").json()["manager"]
    assert shown == {
        "id": manager_a.pk,
        "username": manager_a.username,
        "display_name": manager_a.display_name,
    }
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert set(schema["components"]["schemas"]["UserRef"]["properties"]) == {"id", "username", "display_name"}


def test_a_read_only_field_sent_with_another_value_is_refused(retailer_a, company_admin, token_client_for):
    client = token_client_for(company_admin)
    url = f"/api/v1/retailers/{retailer_a.pk}/"
    body = client.get(url).json()
    before = Retailer.objects.values().get(pk=retailer_a.pk)
    response = client.patch(url, {"created_at": "2001-01-01T00:00:00+08:00"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"created_at"}
    assert client.patch(url, {"created_at": body["created_at"]}, format="json").status_code == 200
    assert Retailer.objects.values().get(pk=retailer_a.pk) == before


# Lists answered whole, each bounded by what it is (not by the size of the database); every other list is paged
# by core.pagination.CursorPage (the default). A list added without a paginator fails here until it is paged or
# its bound is written down.
BOUNDED_LISTS = {
    "v1_allocation_allowances_list": "one retailer's allowances in the plans of one cycle",
    "v1_allocation_fill_rate_list": "a plan's products × tiers",
    "v1_clusters_list": "at most 8 clusters per scoring run",
    "v1_complaint_categories_list": "the categories (about ten, admin-edited)",
    "v1_credit_rules_list": "the credit rule(s)",
    "v1_daily_list_list": "a manager's day: at most the daily list's size (40)",
    "v1_hidden_complaints_list": "a call-back work list, heaviest first, capped (LIST_LIMIT)",
    "v1_segments_fields_list": "the fields a segment rule can use",
    "v1_surveys_trends_list": "one row per survey period and area",
}


def test_every_list_is_paged_or_bounded(company_admin, token_client_for):
    schema = token_client_for(company_admin).get("/api/schema/", {"format": "json"}).json()
    whole = set()
    for operations in schema["paths"].values():
        get = operations.get("get")
        body = (get or {}).get("responses", {}).get("200", {}).get("content", {}).get("application/json", {})
        if body.get("schema", {}).get("type") == "array":
            whole.add(get["operationId"])
    assert whole == set(BOUNDED_LISTS)
