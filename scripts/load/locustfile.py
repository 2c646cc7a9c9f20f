"""Load test (Locust): the working day of the people who use the CRM at once, paced as people work.

Who (weights): customer managers on their phones (8), marketing supervisors at a desk (2), and one integration
client (the ordering system's sync job, LOAD_INTEGRATIONS, default 1, whatever the number of users).

How they work — each simulated person logs in once (login and two-factor are their own request names, so their
cost — password hashing — is reported apart from the pages), then works with a pause between taps typical of the
role; every pause is scaled by LOAD_THINK_SCALE (1 by default; the CI smoke uses 0.05 to see every page in 30 s):
- after the login the browser lands on the home page ("home");
- a manager goes shop by shop: the daily list (MANAGER_PAUSE, 10–30 s: reading it, picking the next shop), the
  shop's portrait with the panels the browser loads with it (talking to the owner with it in hand), one of its
  closed sections opened (the panels that load when they come into view: "portrait section"), the visit form
  (filling it in) and the visit record, then back to the list. A real manager spends minutes in a shop and
  between shops; this one spends seconds, so one simulated manager is several real ones (a peak hour, not a day).
  The phone also keeps today's and tomorrow's pages for offline use (static/js/pwa.js): every
  FIELD_OFFLINE_REFRESH_SECONDS (an hour by default) it asks /field/offline-urls/ and fetches each page one by one
  in the background. The run is a steady part of the morning: each phone's next refresh comes at a random moment
  within the interval (the logins of a real morning are spread over it; here they are compressed into the ramp).
- a supervisor (SUPERVISOR_PAUSE, 5–15 s: a desk, a larger screen, quicker clicks) opens the retailer list, the
  saved segments (and the member counts of the cards on screen, as the page does on "revealed"), the cockpit, a
  team's daily list and the coverage.
- the integration client pages through the retailer register with its token, 100 rows a page, one page a second,
  from the start again after the last page.
What a browser loads with a page (htmx panels with hx-trigger="load", segment counts) is requested as the browser
does, up to 6 at once over up to 6 connections, under its own name ("portrait panel", "segment count"); "portrait (with panels)" is the
time a manager waits for the whole portrait.

Bounded three ways: users (-u), time (-t) and requests (LOAD_MAX_REQUESTS: the run stops when that many requests
were made), and against 127.0.0.1 only (any other host is refused before the first request). Run it through
`make load` (gunicorn on production settings, see README "Load test") or the 30-second smoke in
tests/load/test_load_smoke.py; by hand:

    LOAD_MANAGERS=cm001,cm002 LOAD_SUPERVISORS=sup01 LOAD_PASSWORD=crm-demo-2026 LOAD_API_TOKEN=… \
    python -m locust -f scripts/load/locustfile.py --headless -u 20 -r 1 -t 120s --host http://127.0.0.1:8000

Request names are the page types (`daily list`, `portrait`, `visit record`, …) so the statistics come per type.
LOAD_RECORD (a file path): every request is also written there as `start,name,ms,ok` (bench.load.measures computes the
figures of the steady part of the run from it). Every request carries its page type in X-Load-Page, which the
timed server of bench.load.wsgi reads to split server time per page type.
"""

import itertools
import json
import os
import random
import re
import threading
import time
import uuid
from urllib.parse import urlsplit

import gevent
from gevent.pool import Pool
from locust import HttpUser, between, constant, events, task
from locust.exception import StopUser
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
PASSWORD = os.environ.get("LOAD_PASSWORD", "crm-demo-2026")
MANAGERS = [name for name in os.environ.get("LOAD_MANAGERS", "").split(",") if name]
SUPERVISORS = [name for name in os.environ.get("LOAD_SUPERVISORS", "").split(",") if name]
API_TOKEN = os.environ.get("LOAD_API_TOKEN", "")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "100000"))
INTEGRATIONS = int(os.environ.get("LOAD_INTEGRATIONS", "1"))
THINK_SCALE = float(os.environ.get("LOAD_THINK_SCALE", "1"))
MANAGER_PAUSE = (10.0, 30.0)
SUPERVISOR_PAUSE = (5.0, 15.0)
INTEGRATION_PAUSE = 1.0
# the product's FIELD_OFFLINE_REFRESH_SECONDS (bench.load.run passes the configured one; then the list's answer says)
PRECACHE_SECONDS = float(os.environ.get("LOAD_PRECACHE_SECONDS", "3600"))
BROWSER_CONNECTIONS = 6  # what a browser opens to one host over HTTP/1.1
VISIBLE_SEGMENT_CARDS = 10
# behind a TLS proxy (production settings: secure cookies, HTTPS CSRF checks), the proxy's header is sent
BEHIND_PROXY = os.environ.get("LOAD_BEHIND_PROXY", "") == "1"
RECORD_PATH = os.environ.get("LOAD_RECORD", "")

_managers = itertools.cycle(MANAGERS or ["manager"])
_supervisors = itertools.cycle(SUPERVISORS or ["supervisor"])
_lock = threading.Lock()
# Single-use recovery codes per login whose role needs two-factor ({"username": [codes]}, made by bench.load.logins for the
# run): each simulated login types one, as a person would a code from their list.
_otp_codes = json.loads(os.environ.get("LOAD_OTP_CODES") or "{}")
_requests = itertools.count(1)
_record = open(RECORD_PATH, "a", encoding="utf-8", buffering=1 << 16) if RECORD_PATH else None  # noqa: SIM115

PANEL = re.compile(r'hx-get="([^"]+)" hx-trigger="load"')
SECTION = re.compile(
    r'hx-get="([^"]+)" hx-trigger="intersect once"'
)  # loads when its closed section is opened
SEGMENT_COUNT = re.compile(r'hx-get="([^"]+/count/)" hx-trigger="revealed"')
SHOP = re.compile(r'href="/retailers/(\d+)/"')


def pause(low: float, high: float):
    return between(low * THINK_SCALE, high * THINK_SCALE)


@events.test_start.add_listener
def _only_loopback(environment, **_kwargs):
    host = urlsplit(environment.host or "").hostname
    if host not in LOOPBACK:
        raise SystemExit(f"the load test runs against 127.0.0.1 only, not {environment.host!r}")


@events.request.add_listener
def _bounded(request_type, name, response_time, exception, start_time=None, **_kwargs):
    """Write the request to LOAD_RECORD; stop the whole run once LOAD_MAX_REQUESTS requests were made."""
    if _record is not None:
        started = start_time or (time.time() - response_time / 1000)
        _record.write(f"{started:.3f},{name},{response_time:.1f},{0 if exception else 1}\n")
    if request_type == "PAGE":  # a page with its panels: a figure, not one more request
        return
    if next(_requests) == MAX_REQUESTS:
        from locust.runners import STATE_STOPPING

        runner = _environment.runner if _environment else None
        if runner is not None and runner.state != STATE_STOPPING:
            runner.quit()


@events.quitting.add_listener
def _close_record(**_kwargs):
    if _record is not None:
        _record.flush()


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


def _browser_connections(session) -> None:
    """As a browser: up to BROWSER_CONNECTIONS connections to the host, and a GET whose kept-alive connection was
    closed under it without an answer sent once more on a fresh one (a POST never is)."""
    retry = Retry(
        total=1, connect=1, read=1, status=0, redirect=0, allowed_methods={"GET"}, raise_on_status=False
    )
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=BROWSER_CONNECTIONS, max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)


class StaffUser(HttpUser):
    abstract = True
    login_pool = _managers

    def on_start(self):
        with _lock:
            self.username = next(self.login_pool)
        _browser_connections(self.client)
        if BEHIND_PROXY:
            _send_cookies_over_http(self.client)
            origin = f"https://{urlsplit(self.host).netloc}"
            self.client.headers.update(
                {"X-Forwarded-Proto": "https", "Origin": origin, "Referer": origin + "/"}
            )
        page = self.get("/login/", "login")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        if not token:
            raise StopUser()
        answer = self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            name="login",
            headers={"X-Load-Page": "login"},
            allow_redirects=False,
        )
        if answer.status_code != 302:
            raise StopUser()
        if self.username in _otp_codes and not self._second_factor():
            raise StopUser()
        self.get("/", "home")  # where the login lands

    def get(self, url: str, name: str, **kwargs):
        headers = {"X-Load-Page": name, **kwargs.pop("headers", {})}
        return self.client.get(url, name=name, headers=headers, **kwargs)

    def _second_factor(self) -> bool:
        with _lock:
            codes = _otp_codes[self.username]
            code = codes.pop() if codes else None
        if code is None:
            return False
        page = self.get("/account/2fa/verify/", "two-factor")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        if not token:
            return False
        answer = self.client.post(
            "/account/2fa/verify/",
            data={"token": code, "csrfmiddlewaretoken": token.group(1)},
            name="two-factor",
            headers={"X-Load-Page": "two-factor"},
            allow_redirects=False,
        )
        return answer.status_code == 302 and "/account/2fa/" not in answer.headers.get("Location", "")

    def _csrf(self) -> dict:
        return {"X-CSRFToken": self.client.cookies.get("csrftoken", "")}

    def with_parts(self, url: str, name: str, parts: re.Pattern, part_name: str, limit: int = 100):
        """A page and what the browser loads with it (up to BROWSER_CONNECTIONS at once); the whole wait is
        reported as "<name> (with <part_name>s)"."""
        started = time.perf_counter()
        page = self.get(url, name)
        urls = list(dict.fromkeys(parts.findall(page.text or "")))[:limit]
        ok = page.ok
        if urls:
            answers = Pool(BROWSER_CONNECTIONS).map(
                lambda part: self.get(part, part_name, headers={"HX-Request": "true"}), urls
            )
            ok = ok and all(answer.ok for answer in answers)
        events.request.fire(
            request_type="PAGE",
            name=f"{name} (with {part_name}s)",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=None if ok else RuntimeError("a part failed"),
            context={},
        )
        return page


class Manager(StaffUser):
    """A customer manager on the phone, shop by shop: daily list, portrait, visit form, visit record."""

    weight = 8
    login_pool = _managers
    wait_time = pause(*MANAGER_PAUSE)

    def on_start(self):
        super().on_start()
        self.shops: list[str] = []
        self.next_shop = 0
        self.offline = gevent.spawn(self._keep_offline_copies)

    def on_stop(self):
        self.offline.kill(block=False)

    def _keep_offline_copies(self):
        """static/js/pwa.js: every PRECACHE_SECONDS the phone refreshes its offline copies, one page at a time."""
        every = PRECACHE_SECONDS
        gevent.sleep(random.uniform(0, every))  # noqa: S311 - not cryptography
        while True:
            answer = self.get("/field/offline-urls/", "offline urls", headers={"Accept": "application/json"})
            try:
                urls = answer.json()["urls"]
                every = float(answer.json().get("refresh_seconds") or every)
            except (ValueError, KeyError, TypeError):
                urls = []
            for url in urls:
                self.get(url, "offline copy")
            gevent.sleep(every)

    @task
    def one_shop(self):
        page = self.get("/visits/", "daily list")
        shops = list(dict.fromkeys(SHOP.findall(page.text or "")))
        if shops:
            self.shops = shops
        elif not self.shops:
            self.shops = self._my_retailers()
        if not self.shops:
            return
        shop = self.shops[self.next_shop % len(self.shops)]
        self.next_shop += 1
        self.wait()  # reads the list, goes to the shop
        portrait = self.with_parts(f"/retailers/{shop}/", "portrait", PANEL, "portrait panel")
        sections = SECTION.findall(portrait.text or "")
        if sections:  # opens one of the closed sections (purchases, visits, points …)
            self.wait()
            self.get(random.choice(sections), "portrait section", headers={"HX-Request": "true"})  # noqa: S311
        self.wait()  # talks to the owner with the portrait in hand
        self.get(f"/visits/retailers/{shop}/new/", "visit form")
        self.wait()  # fills the form in
        self.client.post(
            f"/visits/retailers/{shop}/record/",
            data={
                "idempotency_key": str(uuid.uuid4()),
                "no_location_reason": "压测：店内无信号",
                "notes": "压测走访",
                "licence_displayed": "yes",
            },
            headers={**self._csrf(), "X-Load-Page": "visit record"},
            name="visit record",
        )

    def _my_retailers(self) -> list[str]:
        """No shop on today's list (demo data without plans): the shops the API shows this login."""
        answer = self.get("/api/v1/retailers/?page_size=50", "api retailers (no daily list)")
        try:
            return [str(row["id"]) for row in answer.json()["results"]]
        except (ValueError, KeyError, TypeError):
            return []


class Supervisor(StaffUser):
    """A marketing supervisor at a desk: lists, segments, the cockpit, a team's day, coverage."""

    weight = 2
    login_pool = _supervisors
    wait_time = pause(*SUPERVISOR_PAUSE)

    @task(3)
    def retailer_list(self):
        self.get("/retailers/", "retailer list")

    @task(2)
    def segments(self):
        self.with_parts(
            "/segmentation/segments/", "segments", SEGMENT_COUNT, "segment count", VISIBLE_SEGMENT_CARDS
        )

    @task(2)
    def cockpit(self):
        self.get("/cockpit/", "cockpit")

    @task(1)
    def daily_list(self):
        self.get("/visits/", "daily list (supervisor)")

    @task(1)
    def coverage(self):
        self.get("/visits/coverage/", "coverage")


class IntegrationClient(HttpUser):
    """The ordering system's sync job reading the retailer register page by page with its token."""

    fixed_count = INTEGRATIONS
    wait_time = constant(INTEGRATION_PAUSE * THINK_SCALE)

    def on_start(self):
        if not API_TOKEN:
            raise StopUser()
        self.client.headers.update({"Authorization": f"Token {API_TOKEN}"})
        if BEHIND_PROXY:
            self.client.headers.update({"X-Forwarded-Proto": "https"})
        self.url = None

    @task
    def next_page(self):
        url = self.url or "/api/v1/retailers/?page_size=100"
        answer = self.client.get(
            url, name="api retailers page", headers={"X-Load-Page": "api retailers page"}
        )
        try:
            following = answer.json().get("next")
        except ValueError:
            following = None
        if following:
            parts = urlsplit(following)
            self.url = f"{parts.path}?{parts.query}"
        else:
            self.url = None
