"""A user's own and their groups' permissions are read in one query per request (users.models.User), with exactly
what Django's ModelBackend would have read in two; a change counts from the next request."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.models import User


def perm(label: str) -> Permission:
    app_label, codename = label.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@pytest.fixture
def granted(manager_a):
    """manager_a with one permission of their own and one through a group; neither is a manager's by role."""
    group = Group.objects.create(name="覆盖率查看")
    group.permissions.add(perm("visits.view_coverage"))
    manager_a.groups.add(group)
    manager_a.user_permissions.add(perm("segmentation.view_clusterprofile"))
    return group


def test_both_sets_are_read_in_one_query_and_equal_django_s_own(manager_a, granted):
    django_reads = User.objects.get(pk=manager_a.pk)
    backend = ModelBackend()
    expected_own = backend._get_permissions(django_reads, None, "user")
    expected_group = backend._get_permissions(django_reads, None, "group")
    assert expected_own == {"segmentation.view_clusterprofile"}
    assert expected_group == {"visits.view_coverage"}

    user = User.objects.get(pk=manager_a.pk)
    with CaptureQueriesContext(connection) as queries:
        assert user.has_perm("visits.view_coverage")
        assert user.has_perm("segmentation.view_clusterprofile")
        assert user.has_perm("accounts.view_retailer")  # the role's (crm.roles.RolePermissionBackend)
        assert not user.has_perm("accounts.delete_retailer")
        assert user.has_module_perms("visits")
    assert len(queries) == 1
    assert user.get_user_permissions() == expected_own
    assert user.get_group_permissions() == expected_group
    assert {"visits.view_coverage", "segmentation.view_clusterprofile"} <= user.get_all_permissions()


def test_an_inactive_user_has_none_and_costs_no_query(manager_a, granted):
    User.objects.filter(pk=manager_a.pk).update(is_active=False)
    user = User.objects.get(pk=manager_a.pk)
    with CaptureQueriesContext(connection) as queries:
        assert not user.has_perm("visits.view_coverage")
        assert user.get_all_permissions() == set()
    assert len(queries) == 0


def test_a_changed_group_or_user_counts_from_the_next_request(manager_a, granted, client_for):
    client = client_for(manager_a)
    coverage = reverse("visits:coverage")
    assert client.get(coverage).status_code == 200
    granted.permissions.remove(perm("visits.view_coverage"))
    assert client.get(coverage).status_code == 403
    granted.permissions.add(perm("visits.view_coverage"))
    assert client.get(coverage).status_code == 200
    manager_a.groups.remove(granted)
    assert client.get(coverage).status_code == 403
    manager_a.user_permissions.add(perm("visits.view_coverage"))
    assert client.get(coverage).status_code == 200
    # the flag alone, sessions kept (users.services.user_deactivate also ends them): refused on the next request
    User.objects.filter(pk=manager_a.pk).update(is_active=False)
    response = client.get(coverage)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
