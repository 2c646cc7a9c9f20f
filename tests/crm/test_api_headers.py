"""Headers every API answer carries, for every route of the router: no caching of personal data, and a login
wall on the schema and its documentation pages."""

import pytest
from django.urls import URLPattern, reverse

from crm.urls import router


def router_paths_without_arguments():
    """Every URL of the API router that takes no argument (lists and collection actions)."""
    paths = []
    for pattern in router.urls:
        assert isinstance(pattern, URLPattern)
        if pattern.pattern.regex.groups == 0 and pattern.name != "api-root":
            paths.append(reverse(pattern.name))
    return sorted(set(paths))


def test_the_router_has_the_routes_this_file_walks():
    paths = router_paths_without_arguments()
    assert "/api/v1/retailers/" in paths
    assert len(paths) >= 40


@pytest.mark.parametrize("role", ["company_admin", "manager_a"])
def test_every_api_answer_forbids_storing_it(role, request, two_territories, api_client_for):
    client = api_client_for(request.getfixturevalue(role))
    for path in [*router_paths_without_arguments(), "/api/v1/retailers/999999/", "/api/schema/"]:
        response = client.get(path)
        assert response.status_code < 500, path
        cache_control = response.headers.get("Cache-Control", "")
        assert "no-store" in cache_control, (path, response.status_code)
        assert "private" in cache_control, (path, response.status_code)


def test_schema_and_docs_require_a_login(client, company_admin, client_for):
    response = client.get("/api/schema/")
    assert response.status_code == 401
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next=")
    staff = client_for(company_admin)
    assert staff.get("/api/schema/").status_code == 200
    assert staff.get("/api/docs/").status_code == 200


def test_every_api_route_answers_an_anonymous_call_401_naming_the_scheme(client, retailer_a):
    for path in router_paths_without_arguments():
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if response.status_code == 405:
                continue
            assert response.status_code == 401, (method, path)
            assert response["WWW-Authenticate"] == "Token", path
            assert "no-store" in response["Cache-Control"]


def test_every_api_route_refuses_an_unknown_query_parameter(company_admin, api_client_for, retailer_a):
    client = api_client_for(company_admin)
    for path in router_paths_without_arguments():
        response = client.get(path, {"no_such_filter": "1"})
        if response.status_code == 405:
            continue
        assert response.status_code == 400, path
        assert set(response.json()) == {"no_such_filter"}, path
    assert client.get("/api/v1/retailers/", {"tier_min": 5, "page_size": 10}).status_code == 200
    assert client.get(f"/api/v1/retailers/{retailer_a.pk}/", {"nope": 1}).status_code == 400
