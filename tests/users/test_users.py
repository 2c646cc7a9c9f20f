"""users.services and users.selectors: the org tree, logins, routes, and what each user may choose from."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests.users.factories import PASSWORD, CountyFactory, DepartmentFactory, ManagerFactory, RouteFactory
from users.models import OrgUnit, User
from users.selectors import manager_scope, org_units_visible, region_codes_known, route_scope
from users.services import org_unit_create, route_create, user_create


def test_org_unit_path_holds_its_ancestry(company, county_a, dept_a):
    assert company.path == f"/{company.pk}/"
    assert county_a.path == f"/{company.pk}/{county_a.pk}/"
    assert dept_a.path == f"{county_a.path}{dept_a.pk}/"


@pytest.mark.parametrize("code", ["41030", "4103021", "41030A"])
def test_org_unit_region_code_must_be_six_digits(company, code):
    with pytest.raises(ValidationError) as info:
        org_unit_create(name="坏县", kind=OrgUnit.Kind.COUNTY, parent=company, region_code=code)
    assert "region_code" in info.value.message_dict
    assert not OrgUnit.objects.filter(name="坏县").exists()


def test_only_a_company_may_be_a_root(db):
    with pytest.raises((ValidationError, IntegrityError)):
        org_unit_create(name="孤儿县", kind=OrgUnit.Kind.COUNTY, parent=None)


def test_user_create_hashes_the_password(dept_a):
    user = user_create(username="zhangsan", password=PASSWORD, role=User.Role.MANAGER, org_unit=dept_a)
    assert user.password != PASSWORD
    assert user.check_password(PASSWORD)
    assert not user.is_staff


def test_user_create_without_a_password_cannot_log_in(db):
    user = user_create(username="robot", password=None, role=User.Role.INTEGRATION)
    assert not user.has_usable_password()


def test_superuser_is_staff(db):
    assert user_create(username="root", password=PASSWORD, role=User.Role.ADMIN, is_superuser=True).is_staff


def test_user_create_rejects_an_unknown_role(db):
    with pytest.raises(ValidationError) as info:
        user_create(username="ghost", password=PASSWORD, role="visitor")
    assert "role" in info.value.message_dict


def test_company_admin_flag(db):
    assert user_create(username="boss", password=PASSWORD, role=User.Role.ADMIN).is_company_admin
    assert user_create(
        username="su", password=PASSWORD, role=User.Role.MANAGER, is_superuser=True
    ).is_company_admin
    assert not user_create(username="cm", password=PASSWORD, role=User.Role.MANAGER).is_company_admin


@pytest.mark.parametrize("weekday", [0, 8])
def test_route_weekday_must_be_1_to_7(dept_a, weekday):
    with pytest.raises(ValidationError) as info:
        route_create(code="R-BAD", name="坏线路", org_unit=dept_a, visit_weekday=weekday)
    assert "visit_weekday" in info.value.message_dict


def test_route_code_is_unique(route_a, dept_a):
    with pytest.raises(ValidationError) as info:
        route_create(code=route_a.code, name="重复", org_unit=dept_a)
    assert "code" in info.value.message_dict


def test_route_manager_must_be_a_customer_manager(dept_a, supervisor_a):
    with pytest.raises(ValidationError) as info:
        route_create(code="R-SUP", name="主管线路", org_unit=dept_a, manager=supervisor_a)
    assert "manager" in info.value.message_dict


def test_region_codes_known_are_the_counties_codes_plus_settings(county_a, county_b, settings):
    settings.CRM_EXTRA_REGION_CODES = ["410399"]
    assert region_codes_known() == {"410302", "410305", "410399"}


def test_supervisor_chooses_from_own_county_subtree(
    supervisor_a, county_a, dept_a, route_a, route_b, manager_a
):
    second_dept = DepartmentFactory(parent=county_a)
    second_route = RouteFactory(org_unit=second_dept)
    assert set(org_units_visible(user=supervisor_a)) == {county_a, dept_a, second_dept}
    assert set(route_scope(user=supervisor_a)) == {route_a, second_route}
    assert set(manager_scope(user=supervisor_a)) == {manager_a, second_route.manager}


def test_company_admin_chooses_from_everything(company_admin, route_a, route_b, manager_a, manager_b):
    assert {route_a, route_b} <= set(route_scope(user=company_admin))
    assert {manager_a, manager_b} <= set(manager_scope(user=company_admin))
    assert OrgUnit.objects.count() == org_units_visible(user=company_admin).count()


def test_inactive_managers_are_not_offered(supervisor_a, manager_a):
    manager_a.is_active = False
    manager_a.save(update_fields=["is_active"])
    assert manager_a not in manager_scope(user=supervisor_a)


def test_anonymous_user_is_offered_nothing(route_a):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not route_scope(user=anonymous).exists()
    assert not manager_scope(user=anonymous).exists()
    assert not org_units_visible(user=anonymous).exists()


def test_user_without_org_unit_sees_no_units_or_routes(route_a):
    loose = ManagerFactory(org_unit=None)
    assert not org_units_visible(user=loose).exists()
    assert not route_scope(user=loose).exists()


def test_factories_build_a_valid_tree(db):
    county = CountyFactory()
    route = RouteFactory(org_unit__parent=county)
    assert route.org_unit.parent == county
    assert route.manager.org_unit == route.org_unit
    assert route.manager.role == User.Role.MANAGER
