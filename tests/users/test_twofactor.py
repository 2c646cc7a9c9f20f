"""Two-factor authentication (users/twofactor/, django-otp): required of administrators and supervisors
(settings.OTP_REQUIRED_ROLES), superusers and every staff user on the admin site; enrolment on first login with a
QR code drawn on the server and the secret; recovery codes that work once; optional for the other roles."""

import re

import pytest
from django.test import Client, override_settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.crm.test_security_headers import check_html
from tests.users.factories import PASSWORD
from tests.users.otp import current_code, otp_device_for

SETUP = "/account/2fa/"
VERIFY = "/account/2fa/verify/"


def password_login(user) -> Client:
    client = Client()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


@pytest.mark.parametrize("role", ["supervisor_a", "company_admin"])
def test_without_two_factor_a_supervisor_or_admin_reaches_only_enrolment(
    role, request, retailer_a, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user, verified=False)
    for path in (
        "/",
        "/retailers/",
        f"/retailers/{retailer_a.pk}/",
        "/admin/",
        "/admin/users/user/",
        "/visits/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{SETUP}?next="), path
    api = client.get("/api/v1/retailers/")
    assert api.status_code == 403
    assert "两步验证" in api.json()["detail"]
    panel = client.get(f"/retailers/{retailer_a.pk}/", HTTP_HX_REQUEST="true")
    assert panel["HX-Redirect"].startswith(SETUP)
    assert b"retailer" not in panel.content
    # what stays open: the enrolment page itself, log-out, the language switch
    assert client.get(SETUP).status_code == 200


def test_a_post_without_two_factor_changes_nothing(supervisor_a, retailer_a, client_for):
    client = client_for(supervisor_a, verified=False)
    before = retailer_a.shop_name
    response = client.post(f"/retailers/{retailer_a.pk}/edit/", {"shop_name": "改名"})
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)
    retailer_a.refresh_from_db()
    assert retailer_a.shop_name == before


def test_enrolment_shows_a_server_drawn_qr_code_and_the_secret(supervisor_a, client_for):
    client = client_for(supervisor_a, verified=False)
    response = client.get(SETUP)
    html = response.content.decode()
    assert "<svg" in html
    device = TOTPDevice.objects.get(user=supervisor_a, confirmed=False)
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    shown = re.search(r'id="totp-secret"[^>]*>([^<]+)<', html).group(1)
    assert shown.replace(" ", "") == secret
    assert check_html(SETUP, response, logged_in=True) == []  # no inline script, no CDN: the CSP holds
    # a reload keeps the same secret (the phone may already have scanned it)
    client.get(SETUP)
    assert TOTPDevice.objects.filter(user=supervisor_a).count() == 1


def test_enrolment_with_a_wrong_code_changes_nothing_and_a_right_one_opens_the_pages(
    supervisor_a, client_for
):
    client = client_for(supervisor_a, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=supervisor_a)
    wrong = client.post(SETUP, {"token": "000000" if current_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert device.confirmed is False
    assert client.get("/").status_code == 302
    done = client.post(SETUP, {"token": current_code(device), "next": "/retailers/"})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]+)</li>", done.content.decode())
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=supervisor_a).count() == 10
    device.refresh_from_db()
    assert device.confirmed is True
    assert client.get("/").status_code == 200


def test_after_the_password_the_code_is_asked_and_checked(supervisor_a):
    device = otp_device_for(supervisor_a)
    client = password_login(supervisor_a)
    first = client.get("/")
    assert first.status_code == 302
    assert first["Location"] == f"{VERIFY}?next=%2F"
    assert client.post(VERIFY, {"token": "12345"}).status_code == 200  # wrong: the form again
    assert client.get("/").status_code == 302
    response = client.post(VERIFY, {"token": current_code(device), "next": "/retailers/"})
    assert response.status_code == 302
    assert response["Location"] == "/retailers/"
    assert client.get("/").status_code == 200


def test_a_code_cannot_be_replayed_in_another_session(supervisor_a):
    device = otp_device_for(supervisor_a)
    code = current_code(device)
    first = password_login(supervisor_a)
    assert first.post(VERIFY, {"token": code}).status_code == 302
    second = password_login(supervisor_a)
    assert second.post(VERIFY, {"token": code}).status_code == 200
    assert second.get("/").status_code == 302


def test_a_recovery_code_works_once(supervisor_a, client_for):
    from users.twofactor.services import recovery_codes_make

    otp_device_for(supervisor_a)
    codes = recovery_codes_make(user=supervisor_a)
    client = password_login(supervisor_a)
    assert client.post(VERIFY, {"token": codes[0].upper()}).status_code == 302
    assert client.get("/").status_code == 200
    again = password_login(supervisor_a)
    assert again.post(VERIFY, {"token": codes[0]}).status_code == 200
    assert again.get("/").status_code == 302
    assert StaticToken.objects.filter(device__user=supervisor_a).count() == 9


def test_new_recovery_codes_replace_the_old_and_need_a_verified_session(supervisor_a, client_for):
    from users.twofactor.services import recovery_codes_make

    old = recovery_codes_make(user=supervisor_a)
    refused = client_for(supervisor_a, verified=False).post("/account/2fa/recovery-codes/")
    assert refused.status_code == 403
    assert StaticToken.objects.filter(token=old[0]).exists()
    client = client_for(supervisor_a)
    response = client.post("/account/2fa/recovery-codes/")
    assert response.status_code == 200
    assert not StaticToken.objects.filter(token__in=old).exists()
    assert StaticToken.objects.filter(device__user=supervisor_a).count() == 10


def test_the_next_address_never_leaves_the_site(supervisor_a):
    device = otp_device_for(supervisor_a)
    client = password_login(supervisor_a)
    response = client.post(VERIFY, {"token": current_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_a_customer_manager_needs_no_second_factor_but_may_enrol(manager_a, client_for):
    client = client_for(manager_a, verified=False)
    assert client.get("/").status_code == 200
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=manager_a)
    assert client.post(SETUP, {"token": current_code(device)}).status_code == 200
    # enrolled: from now on a login asks for the code
    later = password_login(manager_a)
    response = later.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)


def test_a_staff_manager_needs_it_on_the_admin_site(manager_a, client_for):
    from users.models import User

    User.objects.filter(pk=manager_a.pk).update(is_staff=True)
    manager_a.refresh_from_db()
    client = client_for(manager_a, verified=False)
    assert client.get("/").status_code == 200
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)


def test_a_superuser_of_any_role_needs_it(manager_a, client_for):
    from users.models import User

    User.objects.filter(pk=manager_a.pk).update(is_superuser=True, is_staff=True)
    manager_a.refresh_from_db()
    assert client_for(manager_a, verified=False).get("/").status_code == 302


@override_settings(OTP_REQUIRED_ROLES=["admin", "supervisor", "manager"])
def test_the_required_roles_come_from_the_setting(manager_a, client_for):
    response = client_for(manager_a, verified=False).get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)


def test_an_integration_token_is_not_asked_for_a_second_factor(
    integration_user, retailer_a, token_client_for
):
    assert token_client_for(integration_user).get("/api/v1/retailers/").status_code == 200


def test_the_test_settings_keep_enforcement_on():
    from django.conf import settings

    assert {"admin", "supervisor"} <= set(settings.OTP_REQUIRED_ROLES)
    assert "users.middleware.TwoFactorRequiredMiddleware" in settings.MIDDLEWARE


def test_without_two_factor_no_route_answers_a_supervisor_but_the_open_ones(
    supervisor_a, retailer_a, client_for
):
    """Every route without parameters (pages, API, admin), walked from the URL resolver: a redirect to enrolment
    (pages), 403 (API), or one of the open routes (two-factor pages, log-in/out, language, health, the worker)."""
    from django.urls import get_resolver

    from tests.crm.test_empty_scope_crawl import _routes
    from users.middleware import TwoFactorRequiredMiddleware

    client = client_for(supervisor_a, verified=False)
    client.raise_request_exception = False
    urls = [u for u in _routes(get_resolver().url_patterns) if "logout" not in u]
    assert len(urls) > 100
    leaks = []
    for url in urls:
        if url.startswith(TwoFactorRequiredMiddleware.OPEN_PREFIXES) or url.startswith(("/r/", "/u/", "/l/")):
            continue
        response = client.get(url)
        refused = response.status_code == 403 and url.startswith("/api/")
        sent_to_enrol = response.status_code == 302 and response["Location"].startswith(SETUP)
        if not (refused or sent_to_enrol):
            leaks.append((url, response.status_code))
    assert leaks == []
