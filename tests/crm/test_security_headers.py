"""The hardening headers and the no-inline-script rule, on the pages as users reach them.

A crawl (as an administrator, a supervisor and a customer manager, and anonymously) starts at the home page and
the routes without parameters, follows every same-site link and htmx panel it finds (up to a budget), and checks
each HTML answer: a Content-Security-Policy whose scripts are this site's files only, `Cache-Control: no-store`
for a logged-in user's pages, location and camera refused except on the visit form and the day route, and no
inline <script> or on*= attribute in the HTML (the CSP would block them: a page that relied on one is broken)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from crm.launcher import debug_for_host, host_is_loopback
from tests.crm.test_empty_scope_crawl import _routes

SKIP = re.compile(r"^/(logout/|i18n/|static/|media/|sw\.js|l/|u/|api/(?!docs/|redoc/))|export|\.csv|\.xlsx")
BUDGET = 160
ALL_INTERFACES = ".".join("0000")  # what HOST=0.0.0.0 binds


class PageScan(HTMLParser):
    """Collects the links of a page and every inline script or inline event handler in it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.inline_scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_elements = 0
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}=…>")
        for name in ("href", "hx-get", "action"):
            if attrs.get(name) and name != "action":
                self.links.append(attrs[name])
        if tag == "script":
            kind = (attrs.get("type") or "text/javascript").lower()
            executable = kind in ("text/javascript", "module", "application/javascript")
            self._in_script = executable and not attrs.get("src")
            if self._in_script:
                self.inline_scripts.append("")
        if tag == "style":
            self.style_elements += 1
        for value in attrs.values():
            if value and value.strip().lower().startswith("javascript:"):
                self.handlers.append(f"<{tag} …=javascript:>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_scripts[-1] += data


def check_html(path: str, response, *, logged_in: bool) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    if directives.get("script-src") != "'self'":
        problems.append(f"{path}: script-src is {directives.get('script-src')!r}")
    if "'unsafe-inline'" in directives.get("style-src", "") or "frame-ancestors" not in directives:
        problems.append(f"{path}: CSP {csp!r}")
    cache = response.headers.get("Cache-Control", "")
    if logged_in and "no-store" not in cache:
        problems.append(f"{path}: Cache-Control {cache!r}")
    policy = response.headers.get("Permissions-Policy", "")
    device = bool(re.match(r"^/visits/(retailers/\d+/(new|record)|route)/$", path))
    expected = ("geolocation=(self)", "camera=(self)") if device else ("geolocation=()", "camera=()")
    if not all(part in policy for part in expected):
        problems.append(f"{path}: Permissions-Policy {policy!r}")
    scan = PageScan()
    scan.feed(response.content.decode())
    if any(s.strip() for s in scan.inline_scripts) or scan.inline_scripts:
        problems.append(f"{path}: inline <script> {scan.inline_scripts[0][:80]!r}")
    if scan.handlers:
        problems.append(f"{path}: inline handlers {scan.handlers[:3]}")
    if scan.style_elements:
        problems.append(f"{path}: {scan.style_elements} <style> element(s)")
    return problems


def crawl(client: Client, start: list[str], *, logged_in: bool, budget: int = BUDGET) -> tuple[set, list]:
    seen, queue, problems = set(), list(start), []
    while queue and len(seen) < budget:
        path = queue.pop(0)
        if path in seen or SKIP.search(path):
            continue
        seen.add(path)
        response = client.get(path, HTTP_ACCEPT="text/html")
        assert response.status_code < 500, (path, response.status_code)
        if "text/html" not in response.headers.get("Content-Type", ""):
            continue
        problems += check_html(path, response, logged_in=logged_in)
        scan = PageScan()
        scan.feed(response.content.decode())
        for link in scan.links:
            parts = urlsplit(urljoin(path, link))
            if (
                parts.scheme in ("", "http")
                and parts.netloc in ("", "testserver")
                and parts.path.startswith("/")
            ):
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target not in seen and not SKIP.search(target):
                    queue.append(target)
    return seen, problems


@pytest.fixture
def crawl_start(retailer_a):
    pages = [
        u for u in _routes(__import__("django.urls").urls.get_resolver().url_patterns) if "logout" not in u
    ]
    return [
        "/",
        f"/retailers/{retailer_a.pk}/",
        f"/visits/retailers/{retailer_a.pk}/new/",
        "/visits/route/",
        "/api/docs/",
        "/api/redoc/",
        *pages,
    ]


@pytest.mark.parametrize("role", ["company_admin", "supervisor_a", "manager_a"])
def test_crawled_pages_carry_the_headers_and_no_inline_script(
    role, request, crawl_start, two_territories, client_for
):
    user = request.getfixturevalue(role)
    client = client_for(user)
    client.raise_request_exception = False
    seen, problems = crawl(client, crawl_start, logged_in=True)
    assert len(seen) >= 40
    assert f"/visits/retailers/{two_territories[0].pk}/new/" in seen
    assert problems == []


def test_the_admin_site_carries_the_headers_and_no_inline_script(company_admin, two_territories, client_for):
    client = client_for(company_admin)
    seen, problems = crawl(client, ["/admin/"], logged_in=True, budget=80)
    assert len(seen) >= 30
    assert problems == []


def test_anonymous_pages_carry_the_csp_and_refuse_the_devices(client, two_territories):
    seen, problems = crawl(client, ["/login/", "/visits/route/", "/"], logged_in=False)
    assert "/login/" in seen
    assert problems == []


def test_the_retailers_link_pages_are_never_stored(client, retailer_a):
    from feedback.portal.links import portal_path

    response = client.get(portal_path(retailer_id=retailer_a.pk))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert check_html("/r/…/", response, logged_in=True) == []


def test_a_photo_of_a_logged_in_users_page_is_not_kept_either(company_admin, client_for):
    client = client_for(company_admin)
    response = client.get("/retailers/")
    assert response["Cache-Control"] == "no-store, private"
    assert "Expires" not in response


def test_static_files_keep_their_caching():
    """WhiteNoise answers static files before any session or user is read (its place in MIDDLEWARE), so they keep
    their long caching: a request without a user is left alone."""
    from django.conf import settings
    from django.http import HttpResponse
    from django.test import RequestFactory

    from core.middleware import NoStoreMiddleware

    order = settings.MIDDLEWARE
    assert order.index("whitenoise.middleware.WhiteNoiseMiddleware") < order.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )

    def static(request):
        response = HttpResponse("/* js */", content_type="text/javascript")
        response["Cache-Control"] = "max-age=315360000, public, immutable"
        return response

    response = NoStoreMiddleware(static)(RequestFactory().get("/static/js/app.js"))
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"


def test_the_device_permissions_only_on_the_visit_form_and_the_route(retailer_a, manager_a, client_for):
    client = client_for(manager_a)
    form = client.get(f"/visits/retailers/{retailer_a.pk}/new/")
    assert form.status_code == 200
    assert "geolocation=(self)" in form["Permissions-Policy"]
    assert "camera=(self)" in form["Permissions-Policy"]
    for path in ("/", f"/retailers/{retailer_a.pk}/", "/visits/"):
        policy = client.get(path)["Permissions-Policy"]
        assert "geolocation=()" in policy, path
        assert "camera=()" in policy, path


def test_a_view_with_a_stricter_policy_keeps_it():
    from django.http import HttpResponse

    from core.middleware import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse("<svg/>", content_type="image/svg+xml")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    from django.test import RequestFactory

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/visits/log/1/photos/1/stamped/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_the_scan_finds_what_the_csp_would_block():
    """The checker itself: it must see an inline script, a handler, a javascript: URL and a <style>."""

    class Fake:
        headers = {
            "Content-Security-Policy": "script-src 'self'; style-src 'self'; frame-ancestors 'none'",
            "Cache-Control": "no-store, private",
            "Permissions-Policy": "camera=(), geolocation=()",
        }
        content = (
            b'<script>alert(1)</script><a onclick="x()">a</a><a href="javascript:x()">b</a><style>p{}</style>'
            b'<script type="application/json" id="d">{}</script><script src="/static/x.js"></script>'
        )

    problems = check_html("/x/", Fake(), logged_in=True)
    assert len(problems) == 3
    assert "inline <script>" in problems[0]
    assert "inline handlers" in problems[1]
    assert "<style>" in problems[2]


# ---- make run: DEBUG never on a server other machines reach ---------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("127.0.0.2", True),
        (ALL_INTERFACES, False),
        ("192.168.1.20", False),
        ("::", False),
        ("crm.example.com", False),
    ],
)
def test_loopback_hosts(host, loopback):
    assert host_is_loopback(host) is loopback


def test_make_run_keeps_debug_on_loopback_and_refuses_it_elsewhere():
    env = {"HOST": "127.0.0.1"}
    debug_for_host(env)
    assert env["DEBUG"] == "1"
    env = {}
    debug_for_host(env)
    assert env["DEBUG"] == "1"
    env = {"HOST": ALL_INTERFACES}
    note = debug_for_host(env)
    assert env["DEBUG"] == "0"
    assert "ALLOWED_HOSTS" in note
    env = {"HOST": "10.0.0.5", "DEBUG": "1", "ALLOWED_HOSTS": "10.0.0.5"}
    note = debug_for_host(env)
    assert env["DEBUG"] == "0"
    assert "ignored" in note


def test_the_dev_settings_under_a_non_loopback_make_run_have_debug_off(tmp_path):
    """What the launcher hands the web process: crm.settings.dev read with that environment."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOST": ALL_INTERFACES, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "crm.settings.dev"}
    debug_for_host(env)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_production_and_test_settings_never_debug():
    from pathlib import Path

    from django.conf import settings

    assert settings.DEBUG is False
    production = Path(settings.BASE_DIR, "crm", "settings", "production.py").read_text()
    assert "\nDEBUG = False\n" in production


def test_the_api_docs_load_their_start_up_script_as_a_file(company_admin, client_for):
    client = client_for(company_admin)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    src = re.search(r'<script src="([^"]*script=[^"]*)"', page.content.decode()).group(1)
    script = client.get(src.replace("&amp;", "&"))
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"]
    assert "SwaggerUIBundle" in script.content.decode()
