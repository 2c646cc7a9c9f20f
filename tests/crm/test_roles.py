"""crm.roles.RolePermissionBackend: each role's permissions come from code."""

import pytest

from crm.roles import ROLE_PERMISSIONS, RolePermissionBackend
from tests.users.factories import (
    AdminFactory,
    IntegrationFactory,
    ManagerFactory,
    SupervisorFactory,
    UserFactory,
)
from users.models import User

CONTACT = "accounts.view_contact_details"
IDENTITY = "accounts.view_sensitive_identity"
EXPORT = "accounts.export_retailer"


@pytest.mark.parametrize(
    ("factory", "granted", "refused"),
    [
        (
            ManagerFactory,
            {"accounts.view_retailer", "accounts.add_retailer", "accounts.change_retailer", CONTACT},
            {
                EXPORT,
                IDENTITY,
                "accounts.delete_retailer",
                "users.view_user",
                "accounts.view_sensitiveaccess",
            },
        ),
        (
            SupervisorFactory,
            {
                "accounts.change_retailer",
                CONTACT,
                EXPORT,
                "accounts.view_sensitiveaccess",
                "users.view_route",
            },
            {IDENTITY, "accounts.delete_retailer", "users.change_user", "users.add_user"},
        ),
        (
            IntegrationFactory,
            {"accounts.view_retailer", "accounts.add_retailer", "accounts.change_retailer", CONTACT},
            {EXPORT, IDENTITY, "accounts.delete_retailer", "users.view_user"},
        ),
        (
            AdminFactory,
            {
                CONTACT,
                IDENTITY,
                EXPORT,
                "accounts.delete_retailer",
                "users.change_user",
                "users.add_apitoken",
            },
            set(),
        ),
    ],
)
def test_each_role_gets_its_permissions(db, factory, granted, refused):
    user = factory()
    for perm in granted:
        assert user.has_perm(perm), perm
    for perm in refused:
        assert not user.has_perm(perm), perm


def test_role_permissions_name_real_permissions(db):
    from django.contrib.auth.models import Permission

    existing = {
        f"{app}.{codename}"
        for app, codename in Permission.objects.values_list("content_type__app_label", "codename")
    }
    for role, perms in ROLE_PERMISSIONS.items():
        assert perms <= existing, (role, perms - existing)


def test_admin_role_has_every_permission(db):
    from django.contrib.auth.models import Permission

    admin = AdminFactory()
    assert len(RolePermissionBackend().get_all_permissions(admin)) == Permission.objects.count()


def test_inactive_user_has_no_role_permissions(db):
    user = SupervisorFactory()
    user.is_active = False
    assert RolePermissionBackend().get_all_permissions(user) == set()
    assert not user.has_perm(CONTACT)


def test_anonymous_user_has_no_role_permissions():
    from django.contrib.auth.models import AnonymousUser

    assert RolePermissionBackend().get_all_permissions(AnonymousUser()) == set()


def test_object_permissions_are_not_granted_by_role(db):
    user = ManagerFactory()
    assert RolePermissionBackend().get_all_permissions(user, obj=object()) == set()
    assert not RolePermissionBackend().has_perm(user, CONTACT, obj=object())


def test_module_permissions_follow_the_role(db):
    manager, supervisor = ManagerFactory(), SupervisorFactory()
    backend = RolePermissionBackend()
    assert backend.has_module_perms(manager, "accounts")
    assert not backend.has_module_perms(manager, "users")
    assert backend.has_module_perms(supervisor, "users")


def test_unknown_role_gets_nothing(db):
    user = UserFactory()
    user.role = "visitor"
    assert RolePermissionBackend().get_all_permissions(user) == set()


def test_backend_never_authenticates(db):
    user = ManagerFactory()
    backend = RolePermissionBackend()
    assert backend.authenticate(None, username=user.username, password="pw-for-tests-2026") is None
    assert backend.get_user(user.pk) is None


def test_extra_permissions_can_still_be_granted_per_user(db):
    from django.contrib.auth.models import Permission

    user = ManagerFactory()
    user.user_permissions.add(Permission.objects.get(codename="export_retailer"))
    user = User.objects.get(pk=user.pk)  # drop the permission caches
    assert user.has_perm(EXPORT)
