"""Monthly reports the user may read."""

from django.db.models import QuerySet
from django.http import Http404

from cockpit.models import MonthlyReport
from cockpit.selectors.cockpit import cockpit_units
from users.models import User


def report_list(*, user: User) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(org_unit__in=cockpit_units(user=user)).select_related("org_unit")


def report_get(*, user: User, report_id: int) -> MonthlyReport:
    try:
        return report_list(user=user).get(pk=report_id)
    except MonthlyReport.DoesNotExist as exc:
        raise Http404 from exc
