"""HTTP middleware that belongs to no app."""

import threading

from django.conf import settings
from django.utils.cache import patch_cache_control

from core.replica import replica_note_write

# Paths whose answers carry personal data for one caller: never kept by a browser, proxy or shared cache.
# The API, and the retailers' own pages behind their signed links (no login, but their name, points and cases).
NO_STORE_PREFIXES_DEFAULT = ("/api/", "/r/", "/loyalty/m/", "/u/")
NO_STORE = "no-store, private"


class NoStoreMiddleware:
    """`Cache-Control: no-store, private` on every response with personal data: everything under the API and the
    retailers' link pages (settings.NO_STORE_PATH_PREFIXES), and every answer to a logged-in user (pages, htmx
    panels, exports, photos) — lists of retailers with names, numbers and addresses must not outlive the request
    on a shared phone or in a proxy. Errors included, so no path or status is left out. Static files (answered by
    WhiteNoise before any session is read) and the anonymous login page keep their caching."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(getattr(settings, "NO_STORE_PATH_PREFIXES", NO_STORE_PREFIXES_DEFAULT))

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(self.prefixes) or (user is not None and user.is_authenticated):
            # replaced, not merged: a view's "private, max-age=3600" (a photo) is personal data too
            response.headers["Cache-Control"] = NO_STORE
            response.headers.pop("Expires", None)
        return response


def content_security_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(f"{name} {' '.join(sources)}".strip() for name, sources in directives.items())


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    CSP (settings.CONTENT_SECURITY_POLICY, a dict of directives): scripts only from this site's own files — no
    inline <script>, no on*= attributes, no eval — so an injected string can never run. A view may send a stricter
    policy of its own (the stamped visit photo does); it is kept.

    Permissions-Policy: the phone's location and camera are refused to every page (and any frame) except those
    matching settings.DEVICE_PERMISSION_PATHS (the visit form, the day route: regular expressions on the path),
    which get them for this origin only."""

    def __init__(self, get_response):
        import re

        self.get_response = get_response
        self.csp = content_security_policy(settings.CONTENT_SECURITY_POLICY)
        self.device_paths = [re.compile(pattern) for pattern in settings.DEVICE_PERMISSION_PATHS]
        refused = ("accelerometer", "gyroscope", "magnetometer", "microphone", "payment", "usb")
        base = ", ".join(f"{feature}=()" for feature in refused)
        self.policy_refused = f"{base}, camera=(), geolocation=()"
        self.policy_device = f"{base}, camera=(self), geolocation=(self)"

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        device = any(pattern.match(request.path) for pattern in self.device_paths)
        response.headers["Permissions-Policy"] = self.policy_device if device else self.policy_refused
        return response


class UnknownQueryParameterMiddleware:
    """An API request with a query parameter its operation does not document is refused with 400 naming it,
    rather than answered as if the parameter were not there (a misspelt filter would otherwise return every
    row). The documented parameters are read once from the OpenAPI schema, so what is accepted is exactly what
    is documented. `format` (DRF's format override) is always accepted."""

    ALWAYS = frozenset({"format"})

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = getattr(settings, "STRICT_QUERY_PATH_PREFIX", "/api/v1/")

    def __call__(self, request):
        if request.GET and request.path.startswith(self.prefix):
            allowed = self.allowed(request.path, request.method)
            if allowed is not None:
                unknown = sorted(set(request.GET) - allowed - self.ALWAYS)
                if unknown:
                    from django.http import JsonResponse
                    from django.utils.translation import gettext as _

                    response = JsonResponse(
                        {name: [_("不支持这个查询参数。")] for name in unknown}, status=400
                    )
                    patch_cache_control(response, no_store=True, private=True)
                    return response
        return self.get_response(request)

    def allowed(self, path: str, method: str) -> set[str] | None:
        method = "get" if method == "HEAD" else method.lower()
        for pattern, methods in self.routes():
            if pattern.match(path):
                return methods.get(method)
        return None

    def routes(self):
        return api_query_routes()


_routes: list | None = None
# gunicorn's threads: drf-spectacular's schema generation is not thread-safe (two first API requests at once made
# one of them fail with a 500 under the load test), so one thread builds the routes, once per process
_routes_lock = threading.Lock()


def api_query_routes() -> list:
    """[(path regex, {method: documented query parameters})] from the OpenAPI schema, built once per process.
    crm/wsgi.py builds it when a web worker starts: the schema takes seconds, which the first API request of every
    worker paid before (10 s under the load test on a busy 2-core machine)."""
    global _routes
    if _routes is not None:
        return _routes
    with _routes_lock:
        if _routes is None:
            import re

            from drf_spectacular.generators import SchemaGenerator

            schema = SchemaGenerator().get_schema(request=None, public=True)
            routes = []
            for path, operations in schema["paths"].items():
                regex = re.escape(path)
                regex = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", regex)
                methods = {
                    method: {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
                    for method, operation in operations.items()
                    if isinstance(operation, dict)
                }
                routes.append((re.compile(f"^{regex}$"), methods))
            routes.sort(key=lambda route: route[0].pattern.count("[^/]+"))  # /segments/preview/ before /{id}/
            _routes = routes
    return _routes


class ReadAfterWriteMiddleware:
    """After a user's successful POST/PUT/PATCH/DELETE (a status below 400: a refused request changed nothing), their
    reads stay on the primary until a replica within its lag bound surely has the write (core.replica): the report
    just generated, the list behind the form just saved, an API list after the POST that created a row. Without a
    replica configured it does nothing. The user is read after the view, so an API token's user counts too."""

    UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method in self.UNSAFE_METHODS and response.status_code < 400:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                replica_note_write(user_id=user.pk)
        return response
