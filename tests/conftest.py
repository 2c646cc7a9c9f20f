"""Objects most tests share: an org tree with two county bureaus, their staff and routes, and retailers.

    company 测试市烟草公司
    ├── county_a 老城区 (410302) ── dept_a 老城营销一部 ── route_a (manager_a) ── retailer_a, …
    └── county_b 涧西区 (410305) ── dept_b 涧西营销一部 ── route_b (manager_b) ── retailer_b, …

supervisor_a supervises county_a; company_admin and integration_user sit at the company.
"""

import datetime
import uuid

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.accounts.factories import RetailerFactory
from tests.users.factories import (
    AdminFactory,
    CompanyFactory,
    CountyFactory,
    DepartmentFactory,
    IntegrationFactory,
    ManagerFactory,
    RouteFactory,
    SupervisorFactory,
)
from tests.users.otp import mark_verified, needs_otp

REGION_A = "410302"
REGION_B = "410305"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The order history's month partitions for the tests' calendar (2022–2029): a writer of orders makes its
    months first (the import, the demo, OrderFactory), but many tests write summary rows of a given month
    directly. A month outside it is refused, as in production (sales/partitions.py)."""
    from django.db import connection

    from sales.partitions import history_partitions_ensure

    with django_db_blocker.unblock(), connection.cursor() as cursor:
        history_partitions_ensure(
            cursor=cursor, first=datetime.date(2022, 1, 1), last=datetime.date(2029, 12, 31)
        )


@pytest.fixture
def company(db):
    return CompanyFactory(name="测试市烟草公司")


@pytest.fixture
def county_a(company):
    return CountyFactory(name="老城区", parent=company, region_code=REGION_A)


@pytest.fixture
def county_b(company):
    return CountyFactory(name="涧西区", parent=company, region_code=REGION_B)


@pytest.fixture
def dept_a(county_a):
    return DepartmentFactory(name="老城营销一部", parent=county_a)


@pytest.fixture
def dept_b(county_b):
    return DepartmentFactory(name="涧西营销一部", parent=county_b)


@pytest.fixture
def manager_a(dept_a):
    return ManagerFactory(username="manager_a", display_name="王经理甲", org_unit=dept_a)


@pytest.fixture
def manager_b(dept_b):
    return ManagerFactory(username="manager_b", display_name="李经理乙", org_unit=dept_b)


@pytest.fixture
def route_a(dept_a, manager_a):
    return RouteFactory(code="LC-A01", name="老城甲线", org_unit=dept_a, manager=manager_a)


@pytest.fixture
def route_b(dept_b, manager_b):
    return RouteFactory(code="JX-B01", name="涧西乙线", org_unit=dept_b, manager=manager_b)


@pytest.fixture
def supervisor_a(county_a):
    return SupervisorFactory(username="supervisor_a", display_name="赵主管", org_unit=county_a)


@pytest.fixture
def company_admin(company):
    return AdminFactory(username="company_admin", display_name="孙管理员", org_unit=company)


@pytest.fixture
def integration_user(company):
    return IntegrationFactory(username="integration", display_name="订货系统对接", org_unit=company)


@pytest.fixture
def retailer_a(route_a):
    return RetailerFactory(
        route=route_a,
        shop_name="老城甲号便利店",
        owner_name="周甲",
        mobile="13800001234",
        owner_id_number="410302198001010019",
        bank_account="6222020200112233445",
        tier=10,
    )


@pytest.fixture
def retailer_b(route_b):
    return RetailerFactory(
        route=route_b,
        shop_name="涧西乙号烟酒店",
        owner_name="吴乙",
        mobile="13900005678",
        tier=20,
    )


@pytest.fixture
def two_territories(retailer_a, retailer_b):
    """One retailer on each manager's route."""
    return retailer_a, retailer_b


def _just_logged_in(client) -> None:
    """Stamp the session's last request as now, as the first page after a real login does: the session is not
    rewritten by the idle-timeout clock (users.middleware) on the first request a test measures."""
    import time

    from users.middleware import LAST_SEEN_KEY

    session = client.session
    session[LAST_SEEN_KEY] = int(time.time())
    session.save()


@pytest.fixture
def client_for(db):
    """A browser client logged in as the given user (force_login: the axes backend wants a request), past two-factor
    authentication for the roles that need it (tests/users/otp.py); `verified=False` stops at the password."""

    def make(user, *, verified: bool = True):
        client = Client()
        client.force_login(user)
        _just_logged_in(client)
        if verified and needs_otp(user):
            mark_verified(client, user)
        return client

    return make


class KeyedAPIClient(APIClient):
    """An API client that, like a client library would, sends a new Idempotency-Key with every POST unless the
    test gives one (tests/crm/test_idempotency.py sends none on purpose, with a plain APIClient)."""

    def post(self, path, data=None, format=None, content_type=None, follow=False, **extra):
        headers = extra.get("headers") or {}
        if "HTTP_IDEMPOTENCY_KEY" not in extra and "Idempotency-Key" not in headers:
            extra["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex
        return super().post(path, data, format=format, content_type=content_type, follow=follow, **extra)


@pytest.fixture
def api_client_for(db):
    """An API client authenticated as the given user by session (past two-factor, as client_for)."""

    def make(user, *, verified: bool = True):
        client = KeyedAPIClient()
        client.force_login(user)
        _just_logged_in(client)
        if verified and needs_otp(user):
            mark_verified(client, user)
        return client

    return make


@pytest.fixture
def token_client_for(db):
    """An API client authenticated as the given user by a DRF token, as an integration would be."""

    def make(user):
        from users.services import api_token_create

        _token, key = api_token_create(user=user, name="test")
        client = KeyedAPIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


# The data migrations' rows (categories, the default questionnaire, credit rule, levels, price bands, lifecycle
# rule): a transactional test ends by flushing every table, which takes them away from the tests that follow in a
# database that a migrated production database would never lack them from. Each seed is idempotent.
DATA_MIGRATION_SEEDS = (
    ("accounts.migrations.0007_violations_credit_rule", "default_rule"),
    ("feedback.migrations.0002_default_categories", "seed"),
    ("feedback.migrations.0011_default_questionnaire", "seed"),
    ("feedback.migrations.0014_tier_appeals", "seed_category"),
    ("loyalty.migrations.0002_default_levels", "create_defaults"),
    ("sales.migrations.0002_default_price_bands", "create_bands"),
    ("segmentation.migrations.0007_lifecycle_rule_row", "seed"),
)


def _flushed_by(item) -> bool:
    """Whether `item` ran on a transactional database (flushed at its end, data-migration rows included)."""
    marker = item.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):  # @pytest.mark.django_db(transaction=True)
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After every fixture of a transactional test is torn down — the flush included, which a fixture's own
    teardown could run before (pytest-django's marker fixture is set up first, so it is torn down last) — the
    data-migration rows are written back."""
    yield
    if not _flushed_by(item):
        return
    import importlib

    from django.apps import apps
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        for module, function in DATA_MIGRATION_SEEDS:
            getattr(importlib.import_module(module), function)(apps, None)
