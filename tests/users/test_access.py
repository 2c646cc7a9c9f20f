"""Access that ends: disabling a login ends its sessions and revokes its API tokens at once (through
users.services.user_deactivate, from every path that can disable one); API tokens expire, record their last use and
answer 401 saying why; an idle session ends after settings.SESSION_IDLE_TIMEOUT."""

import datetime
import time
from html.parser import HTMLParser

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.errors import ConflictError
from tests.users.factories import PASSWORD
from users.middleware import LAST_SEEN_KEY
from users.models import ApiToken, StaffSession, User
from users.services import api_token_create, api_token_hash, user_access_revoke, user_deactivate


class FormValues(HTMLParser):
    """The values a browser would submit from a page's forms (inputs, checked boxes, selected options, text)."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value", "on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.data.setdefault(self._select, []).append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data.setdefault(name, []).append("")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data


def logged_in_twice(user) -> tuple[Client, Client]:
    clients = []
    for _ in range(2):
        client = Client()
        assert client.post("/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
        clients.append(client)
    return clients[0], clients[1]


def assert_cut_off(user, clients, key):
    assert not StaffSession.objects.filter(user=user).exists()
    for client in clients:
        response = client.get("/retailers/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    api = Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}")
    assert api.status_code == 401
    assert "撤销" in api.json()["detail"] or "停用" in api.json()["detail"]
    assert ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() == 0


# ---- disabling a login: every path ----------------------------------------------------------------------------------


def test_a_session_knows_its_user(manager_a):
    first, _second = logged_in_twice(manager_a)
    assert StaffSession.objects.filter(user=manager_a).count() == 2
    assert first.get("/").status_code == 200


def test_the_service_ends_sessions_and_revokes_tokens(manager_a, manager_b, retailer_a):
    clients = logged_in_twice(manager_a)
    _token, key = api_token_create(user=manager_a)
    other = Client()
    other.post("/login/", {"username": manager_b.username, "password": PASSWORD})
    assert Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert user_deactivate(user=manager_a) == (2, 1)
    assert_cut_off(manager_a, clients, key)
    assert User.objects.get(pk=manager_a.pk).is_active is False
    assert other.get("/").status_code == 200  # nobody else is logged out
    assert Client().post("/login/", {"username": manager_a.username, "password": PASSWORD}).status_code == 200


def test_the_admin_change_form_disables_through_the_service(company_admin, manager_a, client_for):
    clients = logged_in_twice(manager_a)
    _token, key = api_token_create(user=manager_a)
    admin = client_for(company_admin)
    url = f"/admin/users/user/{manager_a.pk}/change/"
    form = FormValues()
    form.feed(admin.get(url).content.decode())
    data = {k: v for k, v in form.data.items() if k != "is_active"}  # untick 启用
    data["_save"] = "save"
    response = admin.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert_cut_off(manager_a, clients, key)
    # and ticking it again enables the login, with nothing restored
    form.data["_save"] = "save"
    assert admin.post(url, form.data).status_code == 302
    assert User.objects.get(pk=manager_a.pk).is_active is True
    assert ApiToken.objects.get(user=manager_a).revoked_at is not None


def test_the_admin_action_disables_through_the_service(company_admin, manager_a, supervisor_a, client_for):
    clients = logged_in_twice(manager_a)
    _token, key = api_token_create(user=manager_a)
    admin = client_for(company_admin)
    response = admin.post(
        "/admin/users/user/", {"action": "deactivate_users", "_selected_action": [manager_a.pk]}, follow=True
    )
    assert "结束 2 个会话" in response.content.decode()
    assert_cut_off(manager_a, clients, key)
    assert User.objects.get(pk=supervisor_a.pk).is_active is True


def test_the_user_admin_has_no_other_way_to_disable():
    """A new path (an editable list column, another action) must go through the service too: this fails first."""
    user_admin = site._registry[User]
    assert "is_active" not in (user_admin.list_editable or ())
    assert set(user_admin.actions) == {"deactivate_users"}
    assert "save_model" in type(user_admin).__dict__


# ---- API tokens -----------------------------------------------------------------------------------------------------


def test_a_token_is_stored_as_a_hash_and_records_its_last_use(integration_user, retailer_a):
    token, key = api_token_create(user=integration_user, name="订货系统")
    assert token.key_hash == api_token_hash(key)
    assert key not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert token.last_used_at is None
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/retailers/").status_code == 200
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    client.get("/api/v1/retailers/")
    token.refresh_from_db()
    assert token.last_used_at == first_use  # at most one write a minute
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - datetime.timedelta(minutes=2))
    client.get("/api/v1/retailers/")
    token.refresh_from_db()
    assert token.last_used_at > first_use - datetime.timedelta(minutes=1)


def test_an_expired_token_is_refused_with_401_saying_so(integration_user):
    token, key = api_token_create(user=integration_user, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert "过期" in response.json()["detail"]
    assert response["WWW-Authenticate"] == "Token"


def test_an_expired_token_says_so_in_english_too(integration_user):
    token, key = api_token_create(user=integration_user, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    client.cookies["django_language"] = "en"
    assert "expired" in client.get("/api/v1/retailers/").json()["detail"]


def test_a_revoked_or_unknown_token_is_refused(integration_user):
    from users.services import api_token_revoke

    token, key = api_token_create(user=integration_user)
    api_token_revoke(token_ids=[token.pk])
    response = Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 401
    assert "撤销" in response.json()["detail"]
    unknown = Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert unknown.status_code == 401


@pytest.mark.parametrize("days", [0, -1, 10_000])
def test_a_token_lifetime_out_of_bounds_is_refused(integration_user, days):
    with pytest.raises(ValidationError):
        api_token_create(user=integration_user, days=days)
    assert not ApiToken.objects.exists()


def test_no_token_for_a_disabled_login(integration_user):
    user_deactivate(user=integration_user)
    with pytest.raises(ConflictError):
        api_token_create(user=integration_user)


def test_the_admin_makes_a_token_and_shows_the_key_once(company_admin, integration_user, client_for):
    admin = client_for(company_admin)
    response = admin.post(
        "/admin/users/apitoken/add/",
        {"user": integration_user.pk, "name": "订货系统", "days": 30},
        follow=True,
    )
    page = response.content.decode()
    key = __import__("re").search(r"([0-9a-f]{40})", page).group(1)
    token = ApiToken.objects.get(user=integration_user)
    assert token.key_hash == api_token_hash(key)
    assert (token.expires_at - timezone.now()).days in (29, 30)
    assert Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert key not in admin.get(f"/admin/users/apitoken/{token.pk}/change/").content.decode()
    admin.post("/admin/users/apitoken/", {"action": "revoke_tokens", "_selected_action": [token.pk]})
    assert Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_drf_tokens_of_before_carry_on(integration_user):
    """The migration keeps the keys integrations already hold (DRF's authtoken table) working, as hashes."""
    import importlib

    from django.apps import apps
    from django.db import connection

    migration = importlib.import_module("users.migrations.0002_access_sessions_tokens")
    key = "a" * 40
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint, created timestamptz)"
        )
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, now())", [key, integration_user.pk])
    migration.copy_drf_tokens(apps, connection.schema_editor())
    assert Client().get("/api/v1/retailers/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    with connection.cursor() as cursor:  # the clear-text keys are gone with their table
        cursor.execute("SELECT to_regclass('authtoken_token') IS NULL")
        assert cursor.fetchone()[0]


# ---- idle sessions --------------------------------------------------------------------------------------------------


def _age(client, seconds):
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


@override_settings(SESSION_IDLE_TIMEOUT=600)
def test_an_idle_session_ends(manager_a):
    client, _other = logged_in_twice(manager_a)
    assert client.get("/").status_code == 200
    _age(client, 300)
    assert client.get("/").status_code == 200  # within the timeout: still in
    assert client.session[LAST_SEEN_KEY] >= int(time.time()) - 5  # and the clock restarted
    _age(client, 601)
    response = client.get("/retailers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert (
        StaffSession.objects.filter(user=manager_a).count() == 1
    )  # that session's row is gone, not the other's
    login_page = client.get(response["Location"]).content.decode()
    assert "10 分钟未操作" in login_page


@override_settings(SESSION_IDLE_TIMEOUT=600)
def test_an_idle_api_session_gets_401(manager_a, api_client_for):
    client = api_client_for(manager_a)
    assert client.get("/api/v1/retailers/").status_code == 200
    _age(client, 601)
    assert client.get("/api/v1/retailers/").status_code == 401


def test_the_idle_timeout_is_set_for_shared_phones():
    from django.conf import settings

    assert 5 * 60 <= settings.SESSION_IDLE_TIMEOUT <= 60 * 60
    assert settings.SESSION_COOKIE_AGE <= 24 * 60 * 60
    assert settings.SESSION_ENGINE == "users.sessions"


def test_ending_the_sessions_of_an_active_login_ends_them_in_the_cache_too(manager_a):
    """Sessions are read from the cache (users.sessions): revoking them must not leave a cached copy working."""
    clients = logged_in_twice(manager_a)
    for client in clients:
        assert client.get("/retailers/").status_code == 200  # read, and cached
    with CaptureQueriesContext(connection) as queries:
        clients[0].get("/retailers/")
    assert not any("users_staffsession" in query["sql"] for query in queries.captured_queries)
    assert user_access_revoke(user=manager_a)[0] == 2
    for client in clients:
        response = client.get("/retailers/")
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
