"""Reads of staff, org units and routes, each limited to what the asking user may see."""

from django.db.models import QuerySet

from users.models import OrgUnit, Route, User


def _is_live(user) -> bool:
    """An anonymous user (e.g. drf-spectacular's schema request) or an inactive login sees nothing."""
    return user.is_authenticated and user.is_active


def org_units_visible(*, user: User) -> QuerySet[OrgUnit]:
    """The user's org unit and everything below it; every unit for an admin."""
    units = OrgUnit.objects.all()
    if not _is_live(user):
        return units.none()
    if user.is_company_admin:
        return units
    if user.org_unit_id is None:
        return units.none()
    return units.filter(path__startswith=user.org_unit.path)


def route_scope(*, user: User) -> QuerySet[Route]:
    routes = Route.objects.select_related("manager", "org_unit")
    if not _is_live(user):
        return routes.none()
    if user.is_company_admin:
        return routes
    if user.role == User.Role.MANAGER:
        return routes.filter(manager=user)
    if user.org_unit_id is None:
        return routes.none()
    return routes.filter(org_unit__path__startswith=user.org_unit.path)


def manager_scope(*, user: User) -> QuerySet[User]:
    managers = User.objects.filter(role=User.Role.MANAGER, is_active=True).order_by("username")
    if not _is_live(user):
        return managers.none()
    if user.is_company_admin:
        return managers
    if user.role == User.Role.MANAGER:
        return managers.filter(pk=user.pk)
    if user.org_unit_id is None:
        return managers.none()
    return managers.filter(org_unit__path__startswith=user.org_unit.path)


def region_codes_known() -> set[str]:
    """Region codes that licences of this company may start with."""
    from django.conf import settings

    codes = set(OrgUnit.objects.exclude(region_code="").values_list("region_code", flat=True))
    return codes | set(settings.CRM_EXTRA_REGION_CODES)
