"""Factories for staff, org units and routes. Each creates through users.services, so rows pass its validation."""

import factory

from users.models import OrgUnit, Route, User
from users.services import org_unit_create, route_create, user_create

PASSWORD = "pw-for-tests-2026"


class OrgUnitFactory(factory.Factory):
    class Meta:
        model = OrgUnit

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgUnit.Kind.COMPANY
    parent = None
    region_code = ""

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return org_unit_create(**kwargs)


class CompanyFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"测试市烟草公司{n}")
    kind = OrgUnit.Kind.COMPANY


class CountyFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"测试县局{n}")
    kind = OrgUnit.Kind.COUNTY
    parent = factory.SubFactory(CompanyFactory)
    # 4103xx are Luoyang's districts; 50+ keeps clear of the codes the fixtures use (410302, 410305)
    region_code = factory.Sequence(lambda n: f"4103{50 + n % 50:02d}")


class DepartmentFactory(OrgUnitFactory):
    name = factory.Sequence(lambda n: f"测试营销部{n}")
    kind = OrgUnit.Kind.DEPARTMENT
    parent = factory.SubFactory(CountyFactory)


class UserFactory(factory.Factory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = PASSWORD
    role = User.Role.MANAGER
    org_unit = None
    display_name = factory.Sequence(lambda n: f"员工{n}")
    email = ""
    is_staff = False
    is_superuser = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return user_create(**kwargs)


class ManagerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"manager{n}")
    display_name = factory.Sequence(lambda n: f"客户经理{n}")
    role = User.Role.MANAGER
    org_unit = factory.SubFactory(DepartmentFactory)


class SupervisorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"supervisor{n}")
    display_name = factory.Sequence(lambda n: f"营销主管{n}")
    role = User.Role.SUPERVISOR
    org_unit = factory.SubFactory(CountyFactory)


class AdminFactory(UserFactory):
    username = factory.Sequence(lambda n: f"admin{n}")
    display_name = factory.Sequence(lambda n: f"管理员{n}")
    role = User.Role.ADMIN
    is_staff = True


class IntegrationFactory(UserFactory):
    username = factory.Sequence(lambda n: f"integration{n}")
    display_name = factory.Sequence(lambda n: f"对接系统{n}")
    role = User.Role.INTEGRATION
    org_unit = factory.SubFactory(CompanyFactory)


class RouteFactory(factory.Factory):
    class Meta:
        model = Route

    code = factory.Sequence(lambda n: f"XL{n:05d}")
    name = factory.Sequence(lambda n: f"测试线路{n}")
    org_unit = factory.SubFactory(DepartmentFactory)
    manager = factory.SubFactory(ManagerFactory, org_unit=factory.SelfAttribute("..org_unit"))
    visit_weekday = 1

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return route_create(**kwargs)
