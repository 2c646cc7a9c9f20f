"""Every route a retailer opens without a login goes through the one signed-link scheme (core.links): it is rate
limited per link and per address, and it refuses a genuine link made for another purpose.

The routes are found by walking the URL resolver and calling each one without a login: whatever does not answer
with the login page, 401 or 403 must be a marked link view (`core.links.link_view`) or one of the few public
routes listed below with the reason it is not a retailer's link."""

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver

from core import links
from core.links import link_purposes, retailer_link_make, short_code_make

pytestmark = pytest.mark.django_db

# public, and not a retailer's link: why each may answer without a login
NOT_RETAILER_LINKS = {
    "login": "the login page",
    "logout": "logging out",
    "healthz": "the health check of the load balancer",
    "set_language": "the language switch",
    "campaigns-webhook-receipts": "the SMS gateway's receipts, HMAC-signed with SMS_WEBHOOK_SECRET",
    "campaigns-webhook-replies": "the SMS gateway's replies, HMAC-signed with SMS_WEBHOOK_SECRET",
    "schema": "the OpenAPI schema (its access is another item of the review)",
    "api-docs": "the Swagger UI (its access is another item of the review)",
    "api-redoc": "ReDoc (its access is another item of the review)",
    "service-worker": "the field app's service worker script (no data; pages it caches need their own login)",
    "web-manifest": "the field app's web manifest (name, icons, start URL: no data)",
}
PROTECTED = (401, 403)


@pytest.fixture
def fresh_cache(settings):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pl"}
    }
    cache.clear()


def _routes():
    """(name, route text with placeholders, view callable) of every route outside the admin site."""

    def walk(patterns, prefix):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if text.startswith("admin/"):  # AdminSite.admin_view asks for a staff login on every page
                    continue
                yield from walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern):
                yield entry.name or text, text, entry.callback

    yield from walk(get_resolver().url_patterns, "")


def _url(route: str, token: str = "x") -> str | None:  # noqa: S107 - a placeholder
    """A URL for a route: every path parameter filled (regex groups of the API router too); None for a format
    suffix variant (the same view as the route without it)."""
    if "format" in route:
        return None
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    route = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", "1", route)
    url = re.sub(r"<int:[a-z_]+>", "1", route)
    url = re.sub(r"<(?:str:|slug:|path:)?(token|code)>", token, url)
    url = re.sub(r"<(?:str:|slug:|path:)?[a-z_]+>", "x", url)
    return "/" + url


def _link_routes():
    return [
        (name, route, callback)
        for name, route, callback in _routes()
        if getattr(callback, "link_purposes", None) and _url(route)
    ]


def _method(callback) -> str:
    """GET, or POST for a view that answers only POST (require_POST)."""
    return "post" if "POST" in _allowed(callback) and "GET" not in _allowed(callback) else "get"


def _allowed(callback) -> set[str]:
    from django.test import RequestFactory

    response = callback(RequestFactory().generic("OPTIONS", "/"), token="x", code="x")
    allowed = response.get("Allow", "") if response.status_code == 405 else "GET, POST"
    return {m.strip() for m in allowed.split(",")}


def test_every_route_without_a_login_is_a_marked_link_or_listed(client, fresh_cache):
    public = set()
    for name, route, callback in _routes():
        url = _url(route)
        if url is None or getattr(callback, "link_purposes", None):
            continue
        response = client.get(url)
        if response.status_code == 405 and "POST" in response.get("Allow", ""):
            response = client.post(url)  # a route that serves no GET is asked the way it is used
        to_login = response.status_code == 302 and "/login/" in response.get("Location", "")
        if not (to_login or response.status_code in PROTECTED):
            public.add(name)
    assert public - set(NOT_RETAILER_LINKS) == set()


def test_the_link_routes_are_those_of_every_purpose():
    marked = {p for _name, _route, callback in _link_routes() for p in callback.link_purposes}
    assert marked == {p.name for p in link_purposes()}
    assert {"portal", "survey", "complaint-rating", "points", "unsubscribe", "click"} <= marked


def _link_for(purpose, retailer) -> str:
    if purpose.short:
        return short_code_make(purpose=purpose.name, number=retailer.pk)
    return retailer_link_make(retailer_id=retailer.pk, purpose=purpose.name, ref=1)


@pytest.mark.parametrize("name", sorted({name for name, _r, _c in _link_routes()}))
def test_a_link_of_another_purpose_is_refused(name, client, fresh_cache, retailer_a):
    ((route, callback),) = [(r, c) for n, r, c in _link_routes() if n == name][:1]
    others = [p for p in link_purposes() if p.name not in callback.link_purposes]
    assert others
    for purpose in others:
        url = _url(route, _link_for(purpose, retailer_a))
        response = getattr(client, _method(callback))(url)
        assert response.status_code == 404, (name, purpose.name)


@pytest.mark.parametrize("name", sorted({name for name, _r, _c in _link_routes()}))
def test_every_link_route_is_rate_limited_per_link(name, client, fresh_cache, retailer_a, monkeypatch):
    # one window for the whole test: on a busy machine the 31 requests could otherwise straddle a minute's end
    monkeypatch.setattr(links, "current_window", lambda: 1)
    ((route, callback),) = [(r, c) for n, r, c in _link_routes() if n == name][:1]
    purpose = links.link_purpose(callback.link_purposes[0])
    url = _url(route, _link_for(purpose, retailer_a))
    call = getattr(client, _method(callback))
    statuses = [call(url).status_code for _ in range(links.TOKEN_LIMIT)]
    assert 429 not in statuses
    last = call(url)
    assert last.status_code == 429
    assert last["Retry-After"] == "60"


@pytest.mark.parametrize("name", sorted({name for name, _r, _c in _link_routes()}))
def test_every_link_route_is_rate_limited_per_address(name, client, fresh_cache, retailer_a, monkeypatch):
    ((route, callback),) = [(r, c) for n, r, c in _link_routes() if n == name][:1]
    monkeypatch.setattr(links, "ADDRESS_LIMIT", 3)
    call = getattr(client, _method(callback))
    statuses = [call(_url(route, f"forged-{i}")).status_code for i in range(4)]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
