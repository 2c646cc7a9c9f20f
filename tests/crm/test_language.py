"""Which language a page is in: the one chosen with the switch (also on the login page, before anyone logs in, with
its CSRF check), else the browser's Accept-Language when it asks for one we have, else Simplified Chinese."""

import re

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "zh-hans"),  # no preference: the default
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-hans"),
        ("zh-TW", "zh-hans"),  # the Chinese we have
        ("fr-FR,fr;q=0.9,de;q=0.8", "zh-hans"),  # neither: the default, not English
        ("fr-FR,en;q=0.5", "en"),  # the first one we have, in the browser's order
    ],
)
def test_with_no_choice_the_login_page_follows_the_browser(accept_language, language):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = Client().get("/login/", **headers)
    assert lang_of(response) == language
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]  # a cache must not give one browser's page to another


def test_the_login_page_switches_language_before_login_and_the_choice_beats_the_browser():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/?next=/retailers/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    html = page.content.decode()
    switch = re.search(
        r'<form action="/i18n/setlang/" method="post"[^>]*id="login-language">(.*?)</form>', html, re.S
    )
    assert switch, "the login page has a language switch"
    assert 'value="zh-hans"' in switch.group(1)
    assert 'value="en"' in switch.group(1)
    assert ">中文<" in switch.group(1)
    assert ">English<" in switch.group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', switch.group(1)).group(1)

    refused = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert refused.status_code == 403  # no CSRF token, no switch

    switched = client.post(
        "/i18n/setlang/",
        {"language": "en", "next": "/login/?next=/retailers/", "csrfmiddlewaretoken": token},
    )
    assert switched.status_code == 302
    assert switched["Location"] == "/login/?next=/retailers/"
    assert client.cookies["django_language"].value == "en"
    assert client.cookies["django_language"]["max-age"] == 365 * 24 * 60 * 60
    english = client.get("/login/?next=/retailers/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert lang_of(english) == "en"  # the choice, not the browser
    assert "Log in" in english.content.decode()


def test_an_api_client_without_a_preference_gets_chinese_and_one_asking_for_english_gets_english(
    manager_a, api_client_for
):
    api = api_client_for(manager_a)
    assert api.get("/api/v1/retailers/?page_size=1")["Content-Language"] == "zh-hans"
    assert api.get("/api/v1/retailers/?page_size=1", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"
