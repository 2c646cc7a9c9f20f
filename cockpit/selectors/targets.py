"""Targets and their open alerts, as the user may see them."""

from django.db.models import QuerySet
from django.http import Http404

from cockpit.models import KpiAlert, KpiTarget
from cockpit.selectors.cockpit import cockpit_units
from users.models import OrgUnit, User


def target_list(*, user: User) -> QuerySet[KpiTarget]:
    return KpiTarget.objects.filter(org_unit__in=cockpit_units(user=user)).select_related("org_unit")


def target_get(*, user: User, target_id: int) -> KpiTarget:
    try:
        return target_list(user=user).get(pk=target_id)
    except KpiTarget.DoesNotExist as exc:
        raise Http404 from exc


def alerts_open(*, unit: OrgUnit) -> QuerySet[KpiAlert]:
    return KpiAlert.objects.filter(
        recovered_at__isnull=True, target__org_unit__path__startswith=unit.path
    ).select_related("target__org_unit")
