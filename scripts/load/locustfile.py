"""Load test (Locust): the working day of the people who use the CRM at once.

- customer managers (most users) open their daily list, open a shop's portrait, and record a visit;
- supervisors look at the retailer list, the saved segments, a manager's daily list and the coverage;
- an integration client pages through the retailer API with its token.

Bounded three ways: users (-u), time (-t) and requests (LOAD_MAX_REQUESTS: the run stops when that many requests
were made), and against 127.0.0.1 only (any other host is refused before the first request). Run it through
`make load` (gunicorn on production settings, see README "Load test") or the 30-second smoke in
tests/load/test_load_smoke.py; by hand:

    LOAD_MANAGERS=cm001,cm002 LOAD_SUPERVISORS=sup01 LOAD_PASSWORD=crm-demo-2026 LOAD_API_TOKEN=… \
    python -m locust -f scripts/load/locustfile.py --headless -u 20 -r 5 -t 60s --host http://127.0.0.1:8000

Request names are the page types (`daily list`, `portrait`, `visit record`, …) so the statistics come per type.
"""

import itertools
import json
import os
import re
import threading
import uuid
from urllib.parse import urlsplit

from locust import HttpUser, between, events, task
from locust.exception import StopUser

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = os.environ.get("LOAD_PASSWORD", "crm-demo-2026")
MANAGERS = [name for name in os.environ.get("LOAD_MANAGERS", "").split(",") if name]
SUPERVISORS = [name for name in os.environ.get("LOAD_SUPERVISORS", "").split(",") if name]
API_TOKEN = os.environ.get("LOAD_API_TOKEN", "")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "100000"))
API_PAGES = int(os.environ.get("LOAD_API_PAGES", "5"))  # pages an integration client reads in one pass
# behind a TLS proxy (production settings: secure cookies, HTTPS CSRF checks), the proxy's header is sent
BEHIND_PROXY = os.environ.get("LOAD_BEHIND_PROXY", "") == "1"

_managers = itertools.cycle(MANAGERS or ["manager"])
_supervisors = itertools.cycle(SUPERVISORS or ["supervisor"])
_lock = threading.Lock()
# Single-use recovery codes per login whose role needs two-factor ({"username": [codes]}, made by bench.load for the
# run): each simulated login types one, as a person would a code from their list.
_otp_codes = json.loads(os.environ.get("LOAD_OTP_CODES") or "{}")
_requests = itertools.count(1)


@events.test_start.add_listener
def _only_loopback(environment, **_kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        raise SystemExit(f"the load test runs against 127.0.0.1 only, not {environment.host!r}")


@events.request.add_listener
def _bounded(**_kwargs):
    """Stop the whole run once LOAD_MAX_REQUESTS requests were made."""
    if next(_requests) == MAX_REQUESTS:
        from locust.runners import STATE_STOPPING

        runner = _environment.runner if _environment else None
        if runner is not None and runner.state != STATE_STOPPING:
            runner.quit()


_environment = None


@events.init.add_listener
def _keep_environment(environment, **_kwargs):
    global _environment
    _environment = environment


def _send_cookies_over_http(session) -> None:
    """Behind the simulated TLS proxy the app sets Secure cookies, which a cookie jar never returns over plain HTTP
    (even with a permissive policy): after each response, the jar's cookies go out as an explicit header."""

    def hook(response, *args, **kwargs):
        # hooks run before requests files the response's cookies in the session's jar: take both
        cookies = {c.name: c.value for c in session.cookies}
        cookies.update({c.name: c.value for c in response.cookies})
        session.headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())

    session.hooks["response"].append(hook)


class StaffUser(HttpUser):
    abstract = True
    wait_time = between(1, 3)  # a person reads the page before the next click
    login_pool = _managers

    def on_start(self):
        with _lock:
            self.username = next(self.login_pool)
        if BEHIND_PROXY:
            _send_cookies_over_http(self.client)
            origin = f"https://{urlsplit(self.host).netloc}"
            self.client.headers.update(
                {"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/"}
            )
        page = self.client.get("/login/", name="login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        if not token:
            raise StopUser()
        answer = self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            name="login",
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise StopUser()
        if self.username in _otp_codes and not self._second_factor():
            raise StopUser()
        self.retailer_ids = self._my_retailers()

    def _second_factor(self) -> bool:
        with _lock:
            codes = _otp_codes[self.username]
            code = codes.pop() if codes else None
        if code is None:
            return False
        page = self.client.get("/account/2fa/verify/", name="two-factor")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        if not token:
            return False
        answer = self.client.post(
            "/account/2fa/verify/",
            data={"token": code, "csrfmiddlewaretoken": token.group(1)},
            name="two-factor",
            allow_redirects=False,
        )
        return answer.status_code == 302 and "/account/2fa/" not in answer.headers.get("Location", "")

    def _csrf(self) -> dict:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    def _my_retailers(self) -> list[int]:
        """The shops this login may see (the API is scoped like the pages)."""
        answer = self.client.get("/api/v1/retailers/?page_size=50", name="api retailers (setup)")
        try:
            return [row["id"] for row in answer.json()["results"]]
        except (ValueError, KeyError, TypeError):
            return []

    def _one_retailer(self) -> int | None:
        if not self.retailer_ids:
            return None
        return self.retailer_ids[next(_requests) % len(self.retailer_ids)]


class Manager(StaffUser):
    """A customer manager on the phone: daily list, a portrait, a visit."""

    weight = 8
    login_pool = _managers

    @task(4)
    def daily_list(self):
        self.client.get("/visits/", name="daily list")

    @task(4)
    def portrait(self):
        retailer = self._one_retailer()
        if retailer:
            self.client.get(f"/retailers/{retailer}/", name="portrait")

    @task(1)
    def record_visit(self):
        retailer = self._one_retailer()
        if retailer:
            self.client.post(
                f"/visits/retailers/{retailer}/record/",
                data={
                    "idempotency_key": str(uuid.uuid4()),
                    "no_location_reason": "压测：店内无信号",
                    "notes": "压测走访",
                    "licence_displayed": "yes",
                },
                headers=self._csrf(),
                name="visit record",
            )


class Supervisor(StaffUser):
    """A marketing supervisor at a desk: lists, segments, a manager's day, coverage."""

    weight = 2
    login_pool = _supervisors

    @task(3)
    def retailer_list(self):
        self.client.get("/retailers/", name="retailer list")

    @task(2)
    def segments(self):
        self.client.get("/segmentation/segments/", name="segments")

    @task(2)
    def daily_list(self):
        self.client.get("/visits/", name="daily list (supervisor)")

    @task(1)
    def coverage(self):
        self.client.get("/visits/coverage/", name="coverage")


class IntegrationClient(HttpUser):
    """The ordering system reading the retailer register page by page with its token."""

    weight = 1
    wait_time = between(1, 2)

    def on_start(self):
        if not API_TOKEN:
            raise StopUser()
        self.client.headers.update({"Authorization": f"Token {API_TOKEN}"})
        if BEHIND_PROXY:
            self.client.headers.update({"X-Forwarded-Proto": "https"})

    @task
    def page_through(self):
        url = "/api/v1/retailers/?page_size=100"
        for _page in range(API_PAGES):
            answer = self.client.get(url, name="api retailers page")
            try:
                following = answer.json().get("next")
            except ValueError:
                return
            if not following:
                return
            parts = urlsplit(following)
            url = f"{parts.path}?{parts.query}"
