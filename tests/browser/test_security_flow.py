"""Two-factor enrolment and the Content-Security-Policy in a real browser: a supervisor's first login ends on the
enrolment page (QR code drawn on the server, the secret in letters), the code the authenticator app would show
from that secret opens the pages after the recovery codes; then the pages with charts, htmx panels and page
scripts run under the CSP without one violation (Chromium reports each refused script or style in the console)."""

from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def csp_errors(page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return errors


def test_a_supervisor_enrols_on_first_login_and_the_pages_run_under_the_csp(page, live_server, world):
    county = world.route_a.org_unit.parent
    supervisor = user_create(
        username="sup_2fa",
        password=PASSWORD,
        role=User.Role.SUPERVISOR,
        org_unit=county,
        display_name="钱主管",
    )
    errors = csp_errors(page)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", supervisor.username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/account/2fa/?next=**")
    expect(page.locator(".qr-code svg")).to_be_visible()
    # a page the supervisor tries meanwhile sends them back here
    page.goto(f"{live_server.url}/retailers/")
    page.wait_for_url(f"{live_server.url}/account/2fa/?next=**")
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    code = f"{totp(b32decode(secret)):06d}"  # what the authenticator app shows for that secret
    page.fill("#id_token", code)
    page.locator("#twofactor-setup-form button[type=submit]").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.locator("#twofactor-continue").click()
    page.wait_for_url(f"{live_server.url}/retailers/")
    expect(page.locator("h1").first).to_be_visible()

    shop = world.shop_a1
    for path in (
        "/",
        f"/retailers/{shop.pk}/",  # htmx panels, the purchase chart (a script inside a swapped panel)
        "/segmentation/explorer/",  # charts from static/js/pages/
        "/visits/coverage/",
        "/retailers/quality/",  # data-confirm buttons
        "/campaigns/",  # data-autosubmit selects
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/retailers/{shop.pk}/")
    page.wait_for_load_state("networkidle")
    assert errors == []


def test_an_autosubmit_select_and_a_confirm_work_without_inline_handlers(page, live_server, world, login):
    login(page, world.cm_a)
    errors = csp_errors(page)
    page.goto(f"{live_server.url}/visits/")
    # the language switch submits on change (data-autosubmit, static/js/app.js)
    with page.expect_navigation():
        page.select_option(".lang-select", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.select_option(".lang-select", "zh-hans")
    assert errors == []
