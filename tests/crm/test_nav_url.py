"""{% nav_url %} (crm_tags): the navbar's argument-less URLs, reversed once per process, equal {% url %}'s under the
same URL configuration and script prefix, and follow either when it changes."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

BASE = Path(settings.BASE_DIR) / "templates" / "base.html"


def nav_names() -> list[str]:
    return re.findall(r"\{% nav_url '([a-z:_-]+)' %\}", BASE.read_text(encoding="utf-8"))


def render(name: str) -> str:
    return Template("{% load crm_tags %}{% nav_url '" + name + "' %}").render(Context())


def test_every_navbar_url_equals_url_tag():
    names = nav_names()
    assert len(names) >= 25
    for name in names:
        assert render(name) == reverse(name)
        assert render(name) == Template("{% url '" + name + "' %}").render(Context())


def test_a_script_prefix_is_followed():
    assert render("home") == "/"
    set_script_prefix("/crm/")
    try:
        assert render("home") == "/crm/"
        assert render("accounts:retailer-list") == reverse("accounts:retailer-list")
        assert render("accounts:retailer-list").startswith("/crm/")
    finally:
        clear_script_prefix()
    assert render("home") == "/"


urlpatterns = []  # an empty URL configuration: nav_url must not answer from the default one


def test_another_url_configuration_is_not_answered_from_the_cache():
    assert render("home") == "/"  # now in the cache for the project's URL configuration
    with override_settings(ROOT_URLCONF=__name__), pytest.raises(NoReverseMatch):
        render("home")


def id_names() -> list[str]:
    """Every `{% nav_url 'name' <id> %}` in the templates: the URLs reversed once and then given an id."""
    templates = Path(settings.BASE_DIR) / "templates"
    found = set()
    for path in templates.rglob("*.html"):
        found |= set(re.findall(r"\{% nav_url '([a-z:_-]+)' [a-z_.]+ %\}", path.read_text(encoding="utf-8")))
    return sorted(found)


@pytest.mark.parametrize("pk", [1, 7, 2147483647, 90000000001])
def test_a_url_with_an_id_equals_url_tag(pk):
    names = id_names()
    assert "visits:visit-new" in names
    assert "accounts:retailer-detail" in names
    for name in names:
        tag = Template("{% load crm_tags %}{% nav_url '" + name + "' pk %}").render(Context({"pk": pk}))
        assert tag == reverse(name, args=[pk])
    set_script_prefix("/crm/")
    try:
        tag = Template("{% load crm_tags %}{% nav_url 'visits:visit-new' pk %}").render(Context({"pk": pk}))
        assert tag == f"/crm/visits/retailers/{pk}/new/"
    finally:
        clear_script_prefix()


def test_an_id_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError, match="invalid literal"):
        Template("{% load crm_tags %}{% nav_url 'visits:visit-new' pk %}").render(Context({"pk": "1/../x"}))
