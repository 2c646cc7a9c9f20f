"""One masking rule for a retailer's personal data (core.masking), on every path that outputs it, for every role.

The paths are enumerated, so that one added later without the rule fails here:
- every DRF serializer reachable from the URL resolver (each view's serializer for each of its actions, nested
  serializers walked) that outputs a personal field (mobile, owner ID number, bank account) is rendered for each
  role with a retailer whose values are known, and must come out masked;
- every API route the resolver lists without an argument, and the retailer detail route, is requested as each role
  and must not carry a full value;
- every export (the URL names tests/crm/test_export_cells.py finds by reading each view's source) is run with its
  case and must not carry a full value;
- no module but core.masking names the reveal permissions (a direct `has_perm` would bypass the rule).
A full value is only ever POST /api/v1/retailers/<id>/reveal/ (or the portrait's button): allowed by the same
decision, logged in SensitiveAccess.
"""

import inspect
import pathlib

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.models import Retailer, SensitiveAccess
from core.masking import BANK_ACCOUNT, ID_NUMBER, MOBILE, PERSONAL_FIELDS, mask_personal, may_reveal
from tests.crm.test_empty_scope_crawl import _routes
from tests.crm.test_export_cells import EXPORTS, _cells
from tests.imports.fixtures import default_bands, media_in_tmp  # noqa: F401 - fixtures
from tests.sales.allocation_cases import FRI, MONDAY, WED, county, draft, scarce  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

FULL = {MOBILE: "13800001234", ID_NUMBER: "410302198001010019", BANK_ACCOUNT: "6222020200112233445"}
ROLES = ("manager", "supervisor", "integration", "admin")
REVEAL_URL = "/api/v1/retailers/{pk}/reveal/"


@pytest.fixture
def bands_in_place(default_bands):  # noqa: F811 - the allocation fixtures ask for it
    return default_bands


@pytest.fixture
def users(manager_a, supervisor_a, integration_user, company_admin):
    return {
        "manager": manager_a,
        "supervisor": supervisor_a,
        "integration": integration_user,
        "admin": company_admin,
    }


@pytest.fixture
def shop(retailer_a):
    """retailer_a with every personal field filled with a known full value."""
    Retailer.objects.filter(pk=retailer_a.pk).update(**FULL)
    retailer_a.refresh_from_db()
    return retailer_a


def _no_full_value(text: str) -> list[str]:
    return [field for field, value in FULL.items() if value in text]


def test_the_rule_names_the_fields_the_access_log_knows():
    assert set(PERSONAL_FIELDS) == set(SensitiveAccess.Field.values)


# ---- every serializer ------------------------------------------------------------------------------------------
def _drf_views():
    """(callback, view class, action) for every DRF route in the URL resolver (viewsets action by action)."""

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                cls = getattr(entry.callback, "cls", None)
                if cls is None:
                    continue
                actions = getattr(entry.callback, "actions", None) or {}
                for action in set(actions.values()) or {None}:
                    yield entry.callback, cls, action

    return list(walk(get_resolver().url_patterns))


def _serializer_classes(user) -> set[type]:
    found = set()
    for callback, cls, action in _drf_views():
        view = cls(**getattr(callback, "initkwargs", {}))
        view.action = action
        view.kwargs = {}
        view.format_kwarg = None
        view.request = Request(APIRequestFactory().get("/"))
        view.request.user = user
        getter = getattr(view, "get_serializer_class", None)
        if getter is None:
            continue
        try:
            serializer_class = getter()
        except (AssertionError, AttributeError, KeyError):
            continue  # a view without a serializer (it answers a file or a plain dict)
        if serializer_class is not None:
            found.add(serializer_class)
    return found


from tests.our_apps import OUR_APPS  # noqa: E402 - every app of the layers contract


def _all_our_serializers() -> set[type]:
    """Every Serializer subclass defined in a module of ours (the URL resolver imported them all), whether a view
    names it, an action builds it by hand or a schema nests it."""
    get_resolver().url_patterns  # noqa: B018 - imports every view module

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return {
        cls
        for cls in subclasses(serializers.BaseSerializer)
        if cls.__module__.split(".")[0] in OUR_APPS and cls.__module__ != "core.serializers"  # the bare bases
    }


def _personal_fields(serializer_class, seen=None) -> set[tuple[str, str]]:
    """(serializer qualname, field name) for every field, nested ones included, that outputs a personal field."""
    seen = seen if seen is not None else set()
    if serializer_class in seen:
        return set()
    seen.add(serializer_class)
    # some serializers read the request from their context when they build their fields: give them one, empty
    fields = serializer_class(context={"request": None}).fields
    found = set()
    for name, field in fields.items():
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.BaseSerializer):
            found |= _personal_fields(type(field), seen)
            continue
        source = field.source if field.source and field.source != "*" else name
        if field.write_only:
            continue
        if name in PERSONAL_FIELDS or source.split(".")[-1] in PERSONAL_FIELDS:
            found.add((f"{serializer_class.__module__}.{serializer_class.__qualname__}", name))
    return found


def test_every_serializer_that_outputs_a_personal_field_is_a_retailer_serializer_checked_below(company_admin):
    exposed = set()
    classes = _all_our_serializers()
    assert _serializer_classes(company_admin) <= classes | {None}  # the views' serializers are among them
    for serializer_class in classes:
        exposed |= _personal_fields(serializer_class)
    # a serializer of another model that outputs a personal field needs its own masking case here
    assert exposed == {
        ("accounts.api.RetailerSerializer", "mobile"),
        ("accounts.api.RetailerSerializer", "owner_id_number"),
        ("accounts.api.RetailerSerializer", "bank_account"),
        ("segmentation.segments.api.SegmentMemberSerializer", "mobile"),
        ("workspace.api.CallbackSerializer", "mobile"),
    }


def _callback_row(shop) -> dict:
    """A call-back row as workspace.selectors builds it, here with the full number (the serializer masks it)."""
    return {"id": shop.pk, "shop_name": shop.shop_name, "owner_name": shop.owner_name, "mobile": shop.mobile}


# serializers of rows a selector builds (not of a Retailer) that carry a personal field: how to build one
ROW_SERIALIZERS = {"workspace.api.CallbackSerializer": _callback_row}


@pytest.mark.parametrize("role", ROLES)
def test_every_retailer_serializer_masks_every_personal_field_for_every_role(role, users, shop):
    user = users[role]
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    rendered = 0
    for serializer_class in _all_our_serializers():
        label = f"{serializer_class.__module__}.{serializer_class.__qualname__}"
        # its own fields: a nested serializer's (the workspace's call-backs in the workspace) are rendered on its own
        personal = {name for qualname, name in _personal_fields(serializer_class) if qualname == label}
        if not personal:
            continue
        if label in ROW_SERIALIZERS:
            data = serializer_class(ROW_SERIALIZERS[label](shop), context={"request": request}).data
        else:
            assert serializer_class.Meta.model is Retailer, serializer_class
            data = serializer_class(shop, context={"request": request}).data
        for name in personal:
            assert data[name] == mask_personal(name, FULL[name]), (serializer_class, name, role)
        rendered += 1
    assert rendered == 3


# ---- every API route ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_no_api_response_carries_a_full_personal_value(role, users, shop, api_client_for):
    client = api_client_for(users[role])
    client.raise_request_exception = False
    urls = [url for url in _routes(get_resolver().url_patterns) if url.startswith("/api/v1/")]
    urls.append(f"/api/v1/retailers/{shop.pk}/")
    assert "/api/v1/retailers/" in urls
    leaks = []
    for url in urls:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        found = _no_full_value(body.decode("utf-8", "replace"))
        if found:
            leaks.append((url, found))
    assert leaks == []
    detail = client.get(f"/api/v1/retailers/{shop.pk}/")
    assert detail.status_code == 200
    assert detail.json()[MOBILE] == "138****1234"
    assert not SensitiveAccess.objects.exists()


# ---- every export ------------------------------------------------------------------------------------------------
# (that EXPORTS holds every export is tests/crm/test_export_cells.py::test_every_export_url_has_a_case)
@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_no_export_carries_a_full_personal_value(
    name,
    request,
    client_for,
    api_client_for,
    supervisor_a,
    manager_a,
    county_a,
    shop,
    retailer_b,
    default_bands,  # noqa: F811
):
    url, case = EXPORTS[name]
    ctx = {
        "request": request,
        "client": client_for,
        "api": api_client_for,
        "supervisor_a": supervisor_a,
        "manager_a": manager_a,
        "county_a": county_a,
        "retailer_a": shop,
    }
    response = case(ctx, url)
    assert response.status_code == 200, name
    assert _no_full_value("\n".join(str(cell) for cell in _cells(response))) == []


@pytest.mark.parametrize(
    ("role", "status"), [("manager", 403), ("supervisor", 200), ("integration", 403), ("admin", 200)]
)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_retailer_export_masks_the_phone_for_every_role_that_may_export(
    role, status, fmt, users, shop, client_for
):
    response = client_for(users[role]).get(f"/retailers/export.{fmt}")
    assert response.status_code == status
    if status == 200:
        cells = _cells(response)
        assert "138****1234" in cells
        assert _no_full_value("\n".join(map(str, cells))) == []


# ---- the reveal endpoint -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("field", PERSONAL_FIELDS)
def test_api_reveal_follows_the_one_decision_and_logs_like_the_page(role, field, users, shop, api_client_for):
    user = users[role]
    response = api_client_for(user).post(
        REVEAL_URL.format(pk=shop.pk), {"field": field}, format="json", REMOTE_ADDR="10.4.5.6"
    )
    expected = role == "admin" or field == MOBILE
    assert may_reveal(user=user, field=field) is expected
    if not expected:
        assert response.status_code == 403
        assert FULL[field] not in response.content.decode()
        assert not SensitiveAccess.objects.exists()
        return
    assert response.status_code == 200
    assert response.json() == {"field": field, "value": FULL[field]}
    log = SensitiveAccess.objects.get()
    assert (log.user, log.retailer, log.field, log.via, log.ip_address) == (
        user,
        shop,
        field,
        "api",
        "10.4.5.6",
    )


def test_api_reveal_outside_the_territory_is_404_and_logs_nothing(retailer_b, manager_a, api_client_for):
    response = api_client_for(manager_a).post(
        REVEAL_URL.format(pk=retailer_b.pk), {"field": MOBILE}, format="json"
    )
    assert response.status_code == 404
    assert not SensitiveAccess.objects.exists()


def test_api_reveal_of_an_unknown_field_is_400(shop, company_admin, api_client_for):
    response = api_client_for(company_admin).post(
        REVEAL_URL.format(pk=shop.pk), {"field": "password"}, format="json"
    )
    assert response.status_code == 400
    assert not SensitiveAccess.objects.exists()


def test_api_reveal_needs_a_login(shop, client):
    response = client.post(REVEAL_URL.format(pk=shop.pk), {"field": MOBILE}, content_type="application/json")
    # DRF's rule: 401 when the first authenticator names a WWW-Authenticate challenge, 403 otherwise
    assert response.status_code == (401 if response.has_header("WWW-Authenticate") else 403)
    assert not SensitiveAccess.objects.exists()


def test_anonymous_may_reveal_nothing():
    assert not any(may_reveal(user=AnonymousUser(), field=field) for field in PERSONAL_FIELDS)


# ---- one place -------------------------------------------------------------------------------------------------
def test_no_module_but_the_rule_checks_the_reveal_permissions():
    """A direct `has_perm("accounts.view_contact_details")` would decide masking on its own; only core.masking may
    name these permissions (the roles grant them; the model declares them)."""
    root = pathlib.Path(settings.BASE_DIR)
    allowed = {"core/masking.py", "crm/roles.py", "accounts/models.py"}
    found = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if not {".venv", "tests", "node_modules", "migrations"} & set(path.relative_to(root).parts)
        and (
            "view_contact_details" in path.read_text(encoding="utf-8")
            or "view_sensitive_identity" in path.read_text(encoding="utf-8")
        )
    )
    assert set(found) <= allowed, found
    assert inspect.getsource(may_reveal).count("has_perm") == 1
