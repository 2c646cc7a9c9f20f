"""One idempotency rule for every POST of the API that creates something (core.idempotency): without an
Idempotency-Key 400, a repeat with the same key and body the first answer (and nothing new), the same key with
another body 409. The routes are taken from the router and the schema, so a creating route added later is
walked too."""

import re
import uuid

import pytest
from django.urls import URLPattern
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.idempotency import HEADER, REPLAYED_HEADER
from crm.urls import router
from feedback.complaints.models import Complaint
from users.services import api_token_create


def router_post_routes() -> dict[str, tuple[type, str]]:
    """Every POST of the router as its schema path ("/api/v1/complaints/{id}/notes/") → (viewset, action)."""
    routes = {}
    for pattern in router.urls:
        assert isinstance(pattern, URLPattern)
        action = getattr(pattern.callback, "actions", {}).get("post")
        if action is None or pattern.pattern.regex.pattern.endswith(r"\.(?P<format>[a-z0-9]+)/?$"):
            continue
        path = "/api/v1/" + pattern.pattern.regex.pattern.lstrip("^").rstrip("$")
        path = re.sub(r"\(\?P<\w+>[^)]*\)", "{id}", path)
        routes[path] = (pattern.callback.cls, action)
    return routes


@pytest.fixture(scope="module")
def post_operations(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    return {path: ops["post"] for path, ops in schema["paths"].items() if "post" in ops}


def documents_the_key(operation) -> bool:
    return any(
        p["in"] == "header" and p["name"] == HEADER and p["required"] for p in operation.get("parameters", [])
    )


def test_every_creating_post_of_the_router_is_keyed_and_documented(post_operations):
    routes = router_post_routes()
    # the schema shows every POST route of the router (and the gateway's webhooks, which are not the router's)
    assert set(routes) == {path for path in post_operations if not path.startswith("/api/v1/webhooks/")}
    creating = {
        path
        for path, (cls, action) in routes.items()
        if (action == "create" and not getattr(cls, "creates_nothing", False))
        or "201" in post_operations[path]["responses"]
    }
    assert {"/api/v1/complaints/", "/api/v1/visits/", "/api/v1/loyalty/redemptions/"} <= creating
    for path in creating:
        cls, action = routes[path]
        assert getattr(getattr(cls, action), "idempotent", False), (
            f"{path}: {cls.__name__}.{action} takes no key"
        )
        assert documents_the_key(post_operations[path]), path
        assert "409" in post_operations[path]["responses"], path


def keyed_paths():
    return sorted(
        path
        for path, (cls, action) in router_post_routes().items()
        if getattr(getattr(cls, action), "idempotent", False)
    )


@pytest.mark.parametrize("path", keyed_paths())
def test_every_keyed_post_behaves_the_same(path, company_admin, two_territories):
    client = APIClient()  # a plain client: sends only the headers given here
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=company_admin)[1]}")
    url = path.replace("{id}", "1")
    body, other_body = {"note": "第一次"}, {"note": "另一次"}

    def post(data, **headers):
        response = client.post(url, data, format="json", headers=headers)
        if response.status_code == 415:  # an upload route: the same bodies as a form
            response = client.post(url, data, format="multipart", headers=headers)
        return response

    without = post(body)
    assert without.status_code == 400, path
    assert "idempotency_key" in without.json(), path

    key = str(uuid.uuid4())
    first = post(body, **{HEADER: key})
    assert first.status_code < 500, path
    assert REPLAYED_HEADER not in first.headers
    again = post(body, **{HEADER: key})
    assert (again.status_code, again.json()) == (first.status_code, first.json()), path
    assert again.headers[REPLAYED_HEADER] == "true"
    for name in ("Location", "ETag"):
        assert again.headers.get(name) == first.headers.get(name), (path, name)

    mismatched = post(other_body, **{HEADER: key})
    assert mismatched.status_code == 409, path
    assert set(mismatched.json()) == {"detail"}


@pytest.fixture
def complaint_categories(db):
    """The categories feedback's data migration seeds (a transactional test elsewhere may have flushed them)."""
    from importlib import import_module

    from django.apps import apps

    import_module("feedback.migrations.0002_default_categories").seed(apps, None)


def test_a_repeated_complaint_post_files_one_complaint(
    retailer_a, manager_a, token_client_for, complaint_categories
):
    client = token_client_for(manager_a)
    body = {
        "retailer": retailer_a.pk,
        "category": "delivery",
        "channel": "phone",
        "description": "送货多次迟到。",
    }
    key = {HEADER: str(uuid.uuid4())}
    first = client.post("/api/v1/complaints/", body, format="json", headers=key)
    assert first.status_code == 201, first.json()
    assert first["Location"] == f"http://testserver/api/v1/complaints/{first.json()['id']}/"
    assert first["ETag"]
    again = client.post("/api/v1/complaints/", body, format="json", headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert (again["Location"], again["ETag"]) == (first["Location"], first["ETag"])
    assert Complaint.objects.filter(retailer=retailer_a).count() == 1
    other = client.post(
        "/api/v1/complaints/", {**body, "description": "另一件事。"}, format="json", headers=key
    )
    assert other.status_code == 409
    assert Complaint.objects.filter(retailer=retailer_a).count() == 1


def test_a_repeated_visit_post_records_one_visit(retailer_a, manager_a, token_client_for):
    from visits.models import Visit

    client = token_client_for(manager_a)
    body = {"retailer": retailer_a.pk, "no_location_reason": "室内无信号", "notes": "陈列整齐"}
    key = {HEADER: str(uuid.uuid4())}
    first = client.post("/api/v1/visits/", body, format="json", headers=key)
    assert first.status_code == 201, first.json()
    assert first["Location"] == f"http://testserver/api/v1/visits/{first.json()['id']}/"
    again = client.post("/api/v1/visits/", body, format="json", headers=key)
    assert (again.status_code, again.json()) == (201, first.json())
    assert Visit.objects.filter(retailer=retailer_a).count() == 1
    assert (
        super(type(client), client).post("/api/v1/visits/", body, format="json").status_code == 400
    )  # no key
    assert Visit.objects.filter(retailer=retailer_a).count() == 1
