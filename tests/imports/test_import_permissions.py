"""An import of a kind is allowed exactly when writing its model directly is: for every registered kind × every
role, on every path of an import (the API upload and commit, the upload page and its commit button, the command).

The kinds come from the registry and the roles from User.Role, so a new kind or role fails here until the tables
below say what it writes and who plays it; a spec that declares no models is refused when it registers."""

from pathlib import Path

import pytest
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.imports.models import ImportJob
from accounts.imports.services import import_job_create, import_job_validate
from accounts.imports.spec import REGISTRY, ImportSpec, register
from accounts.models import Retailer
from sales.models import Order, Product
from tests.imports.helpers import csv_bytes, retailer_row
from tests.sales.factories import ProductFactory
from tests.sales.helpers import order_line, orders_csv, product_row
from users.models import User

# What each kind writes, said here independently of the specs: the direct write of that model needs its add and
# change permissions (the product admin, the retailer create/edit pages; orders are written by imports only).
WRITES = {
    ImportJob.Kind.RETAILERS: Retailer,
    ImportJob.Kind.PRODUCTS: Product,
    ImportJob.Kind.ORDERS: Order,
}
# The user who plays each role (tests/conftest.py fixtures).
ROLE_FIXTURES = {
    User.Role.ADMIN: "company_admin",
    User.Role.SUPERVISOR: "supervisor_a",
    User.Role.MANAGER: "manager_a",
    User.Role.INTEGRATION: "integration_user",
}
API = "/api/v1/imports/"
PRODUCT_CODE = "6901028999001"


def direct_write_allowed(user: User, model) -> bool:
    return all(
        user.has_perm(f"{model._meta.app_label}.{get_permission_codename(action, model._meta)}")
        for action in ("add", "change")
    )


def import_expected(user: User, kind: str) -> bool:
    """Imports at all (the import pages' own right), and the direct write of what the kind writes."""
    return user.has_perm("accounts.add_importjob") and direct_write_allowed(user, WRITES[kind])


@pytest.fixture
def world(county_a_world, route_a, retailer_a, manager_a, company_admin, integration_user, default_bands):
    ProductFactory(
        code=PRODUCT_CODE,
        brand="黄金叶",
        name="黄金叶（测试）",
    )
    return retailer_a


def sample(kind: str, retailer: Retailer) -> bytes:
    """A valid file of `kind` inside county A (the territory every importing role covers)."""
    if kind == ImportJob.Kind.RETAILERS:
        return csv_bytes([retailer_row(901)], encoding="gbk")
    if kind == ImportJob.Kind.PRODUCTS:
        return csv_bytes([product_row("6901028999002", "中华", "中华（测试）", "375", "450")], encoding="gbk")
    if kind == ImportJob.Kind.ORDERS:
        return orders_csv([order_line("PERM-001", retailer.licence_no, "2025-04-30", PRODUCT_CODE, 2, 10000)])
    raise AssertionError(f"add a sample file for the import kind {kind!r}")


def state() -> tuple:
    return (
        sorted(Retailer.objects.values_list("licence_no", "tier", "shop_name")),
        sorted(Product.objects.values_list("code", "wholesale_price_fen", "status")),
        sorted(Order.objects.values_list("order_no", "cartons")),
    )


def upload_file(kind: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"{kind}.csv", content, content_type="text/csv")


def validated_job_of(user: User, kind: str, content: bytes) -> ImportJob:
    """A validated job that `user` owns, made without asking the rule (as if their rights changed after the
    upload): what the commit paths must still refuse."""
    admin = User.objects.get(username="company_admin")
    job = import_job_create(user=admin, kind=kind, upload=upload_file(kind, content), enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(created_by=user)
    job = import_job_validate(job_id=job.pk)
    assert job.status == ImportJob.Status.VALIDATED, job.message
    assert job.valid_rows == 1, list(job.row_errors.values_list("column", "message"))
    return job


def test_the_tables_cover_every_registered_kind_and_every_role():
    assert set(WRITES) == set(REGISTRY)
    assert set(ROLE_FIXTURES) == set(User.Role.values)


def test_a_spec_without_models_cannot_register():
    class Nameless(ImportSpec):
        kind = "nameless"
        aliases = {}
        required = ()
        staging_columns = ()

        def clean(self, raw, ctx):
            return (), []

        def upsert(self, *, cursor, job, table):
            return 0, 0, 0

    with pytest.raises(ImproperlyConfigured):
        register(Nameless())
    assert "nameless" not in REGISTRY


def test_only_the_admin_may_import_products():
    """The issue's reproduction, stated as the roles' outcome: product writes are the admin's."""
    expected = {role: import_expected_for_role(role, ImportJob.Kind.PRODUCTS) for role in User.Role.values}
    assert expected == {"admin": True, "supervisor": False, "manager": False, "integration": False}


def import_expected_for_role(role: str, kind: str) -> bool:
    from crm.roles import ROLE_PERMISSIONS

    perms = ROLE_PERMISSIONS.get(role)
    model = WRITES[kind]
    needed = {
        "accounts.add_importjob",
        *(f"{model._meta.app_label}.{get_permission_codename(a, model._meta)}" for a in ("add", "change")),
    }
    return True if perms is None else needed <= perms  # the admin role holds every permission


@pytest.mark.parametrize("kind", sorted(REGISTRY))
@pytest.mark.parametrize("role", sorted(User.Role.values))
def test_import_is_allowed_exactly_when_the_direct_write_is(
    request, kind, role, world, api_client_for, client_for, tmp_path
):
    user = request.getfixturevalue(ROLE_FIXTURES[role])
    expected = import_expected(user, kind)
    content = sample(kind, world)
    before = state()

    # the API: upload, then commit
    api = api_client_for(user)
    response = api.post(API, {"kind": kind, "file": upload_file(kind, content)}, format="multipart")
    assert response.status_code == (201 if expected else 403), response.content
    if expected:
        job = import_job_validate(job_id=response.json()["id"])
    else:
        assert "权限" in response.json()["detail"]
        job = validated_job_of(user, kind, content)
    commit = api.post(f"{API}{job.pk}/commit/", {}, format="json")
    assert commit.status_code == (202 if expected else 403), commit.content
    job.refresh_from_db()
    assert job.status == (ImportJob.Status.COMMITTING if expected else ImportJob.Status.VALIDATED)
    assert state() == before  # nothing was written: the commit task never ran (allowed) or was refused

    # the pages: the kinds offered, the upload, the commit button
    browser = client_for(user)
    page = browser.get("/imports/")
    if not user.has_perm("accounts.add_importjob"):
        assert page.status_code == 403
    else:
        assert page.status_code == 200
        offered = [value for value, _label in page.context["form"].fields["kind"].choices]
        assert (kind in offered) is expected
    posted = browser.post("/imports/", {"kind": kind, "file": upload_file(kind, content), "mode": "valid"})
    assert posted.status_code == (302 if expected else 403)
    job = validated_job_of(user, kind, content)
    browser.post(f"/imports/{job.pk}/commit/", {"mode": "valid"})
    job.refresh_from_db()
    assert job.status == (ImportJob.Status.COMMITTING if expected else ImportJob.Status.VALIDATED)

    # the management command, run as that user
    path = Path(tmp_path) / f"{kind}.csv"
    path.write_bytes(content)
    if expected:
        call_command(f"import_{kind}", str(path), "--user", user.username, "--dry-run")
    else:
        with pytest.raises(CommandError, match="权限"):
            call_command(f"import_{kind}", str(path), "--user", user.username)
    assert state() == before


def test_the_service_refuses_a_forbidden_kind_with_the_reason(world, supervisor_a):
    with pytest.raises(PermissionDenied, match="卷烟品规"):
        import_job_create(
            user=supervisor_a,
            kind=ImportJob.Kind.PRODUCTS,
            upload=upload_file("products", sample(ImportJob.Kind.PRODUCTS, world)),
            enqueue=False,
        )
