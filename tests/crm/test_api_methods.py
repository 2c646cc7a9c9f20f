"""A method an API endpoint does not offer answers 405 Method Not Allowed, whoever asks: never a 403 because the
caller's role lacks a permission the method would need (DRF checks permissions before it looks for the handler).

Every endpoint is found by walking the URL resolver under /api/v1/ and /api/schema/ (the router's routes and the views mounted beside
it), so a route added later is checked too. What a route offers is what DRF will dispatch: the actions the router
bound for a viewset, the handlers of a plain view, both within its `http_method_names`."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from crm.urls import router
from tests.users.factories import AdminFactory, ManagerFactory

pytestmark = pytest.mark.django_db

METHODS = ("get", "post", "put", "patch", "delete")


def _api_routes(patterns=None, prefix: str = ""):
    """(URL with every path parameter filled, view callable) of each DRF route of the API (/api/v1/) and its schema;
    format-suffix variants left out (the same view as the route without the suffix). The SMS gateway's webhooks
    under /api/v1/webhooks/ are plain Django views (require_POST); /api/docs/ and /api/redoc/ are pages for a
    signed-in browser."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        regex = entry.pattern.regex.pattern.removeprefix("^").removesuffix(r"\Z").removesuffix("$")
        if isinstance(entry, URLResolver):
            yield from _api_routes(entry.url_patterns, prefix + regex)
        elif (
            isinstance(entry, URLPattern)
            and (prefix + regex).startswith(("api/v1/", "api/schema/"))
            and "format" not in regex
            and hasattr(entry.callback, "cls")
        ):
            full = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "1", prefix + regex)
            full = re.sub(r"<int:[a-z_]+>", "1", full)
            yield "/" + re.sub(r"\\(.)", r"\1", full), entry.callback


def offered(callback) -> set[str]:
    """The methods DRF dispatches for this route to a handler of the view."""
    view = callback.cls
    if getattr(callback, "actions", None) is not None:  # a viewset route: the actions the router bound
        methods = set(callback.actions) | {"options"} | ({"head"} if "get" in callback.actions else set())
    else:
        methods = {m for m in view.http_method_names if hasattr(view, m)}
    return methods & set(view.http_method_names)


@pytest.fixture(scope="module")
def api_routes():
    routes = list(_api_routes())
    urls = {url for url, _callback in routes}
    # the walk reaches every viewset the router holds, and the views mounted beside it
    assert {f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry} <= urls
    assert {"/api/v1/retailers/1/tier-card/", "/api/v1/workspace/", "/api/v1/violations/1/"} <= urls
    return routes


def _not_offered(api_routes):
    return [
        (url, method) for url, callback in api_routes for method in METHODS if method not in offered(callback)
    ]


def test_the_walk_finds_methods_that_are_not_offered(api_routes):
    assert ("/api/v1/violations/1/", "delete") in _not_offered(api_routes)
    assert ("/api/v1/violations/", "put") in _not_offered(api_routes)
    assert ("/api/v1/violations/1/", "get") not in _not_offered(api_routes)


@pytest.mark.parametrize("who", ["company-admin", "manager", "anonymous"])
def test_a_method_an_endpoint_does_not_offer_answers_405_to_every_caller(
    who, api_routes, company, api_client_for
):
    """The company administrator holds every right a role has; a manager holds few (a method-dependent permission
    would refuse them first); an anonymous caller is refused by every endpoint's permissions."""
    if who == "anonymous":
        api = APIClient()
    else:
        api = api_client_for(AdminFactory(org_unit=company) if who == "company-admin" else ManagerFactory())
    wrong = {}
    for url, method in _not_offered(api_routes):
        response = getattr(api, method)(url, {}, format="json")
        if response.status_code != 405:
            wrong[f"{method.upper()} {url}"] = response.status_code
    assert wrong == {}
