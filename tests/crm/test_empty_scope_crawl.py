"""A user whose territory is empty (a supervisor or an integration user without an org unit) gets no 5xx anywhere:
every page and API route that takes no argument (walked from the URL resolver, which includes every DRF router
list route and every list action) is requested, pages and API alike. An empty scope is a queryset Django knows
selects nothing, which raw SQL used to compile with `query.sql_with_params()` — EmptyResultSet, a 500; all of it
goes through core.db.queryset_sql now."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from core.db import queryset_sql
from crm.urls import router
from tests.users.factories import IntegrationFactory, SupervisorFactory
from users.models import User


def _routes(patterns, prefix: str = "") -> list[str]:
    """The URL of every route whose full pattern has no parameter (no converter, no regex group)."""
    found = []
    for p in patterns:
        regex = p.pattern.regex.pattern.removeprefix("^")
        regex = regex.removesuffix(r"\Z").removesuffix("$")
        if isinstance(p, URLResolver):
            found += _routes(p.url_patterns, prefix + regex)
        elif isinstance(p, URLPattern):
            full = prefix + regex
            if re.compile(full).groups:
                continue
            url = re.sub(r"\\(.)", r"\1", full)
            if re.search(r"[\^$*+?()\[\]{}|]", url):  # an unnamed regex we cannot write out
                continue
            found.append("/" + url)
    # the log-outs last, so that nothing after them is crawled as an anonymous visitor
    return sorted(set(found), key=lambda url: ("logout" in url, url))


def _empty_scope_user(factory) -> User:
    user = factory()
    User.objects.filter(pk=user.pk).update(org_unit=None)
    user.refresh_from_db()
    return user


@pytest.fixture
def crawl_urls():
    urls = _routes(get_resolver().url_patterns)
    # the walk reaches the API's router lists and the pages of every app
    api_lists = {f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry}
    assert api_lists <= set(urls), sorted(api_lists - set(urls))
    for page in ("/", "/retailers/", "/sales/", "/segmentation/", "/loyalty/", "/service/", "/visits/"):
        assert any(u.startswith(page) for u in urls), page
    return urls


@pytest.mark.parametrize(
    "factory", [SupervisorFactory, IntegrationFactory], ids=["supervisor", "integration"]
)
def test_a_user_with_an_empty_territory_gets_no_server_error_on_any_page_or_api_list(
    factory, crawl_urls, two_territories, supervisor_a, client_for
):
    user = _empty_scope_user(factory)
    assert user.org_unit_id is None
    client = client_for(user)
    client.raise_request_exception = False  # an exception is the 500 this test is about: collect, not raise
    failures = []
    assert client.get("/").status_code == 200  # logged in: the crawl sees the pages, not the login form
    for url in crawl_urls:
        response = client.get(url, HTTP_ACCEPT="text/html,application/json")
        if response.status_code >= 500:
            failures.append((url, response.status_code))
    assert failures == []


def test_queryset_sql_of_an_empty_queryset_selects_nothing(two_territories):
    from django.db import connection

    from accounts.models import Retailer

    for qs in (
        Retailer.objects.none().values("id"),
        Retailer.objects.filter(pk__in=[]).values("id", "business_format"),
        Retailer.objects.none(),
    ):
        sql, params = queryset_sql(qs)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM ({sql}) s", params)  # noqa: S608
            assert cursor.fetchone() == (0,)
    sql, params = queryset_sql(Retailer.objects.filter(pk=two_territories[0].pk).values("id"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM ({sql}) s", params)  # noqa: S608
        assert cursor.fetchall() == [(two_territories[0].pk,)]


def test_no_module_compiles_a_queryset_to_sql_but_the_one_helper():
    """`query.sql_with_params()` raises on an empty queryset; core.db.queryset_sql is the one place that may call
    it. A new call elsewhere fails here."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    callers = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {".venv", "tests", "node_modules"} & set(path.relative_to(root).parts)
        and "sql_with_params" in path.read_text(encoding="utf-8")
    )
    assert callers == ["core/db.py"]
