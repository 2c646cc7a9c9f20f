"""Reads of field work. Every read goes through accounts.selectors.retailer_scope: a customer manager sees their
routes' shops, a supervisor their department, and anything else answers 404. The reads every sub-area shares live
here; the daily list, coverage, cultivation, the route and the shop facts have their own (visits.<sub-area>.selectors)."""

import datetime

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import queryset_sql
from users.models import User
from visits.models import StoreScoreItem, Visit, VisitPhoto, VisitPlan, VisitPolicy
from visits.scoring import DEFAULT_WEIGHTS


def policy_get() -> VisitPolicy:
    """The one policy row, or the defaults while nobody has saved one."""
    return VisitPolicy.objects.order_by("id").first() or VisitPolicy()


def store_score_weights() -> dict[str, int]:
    """The admin's weights per checklist item; the defaults for items without a row."""
    return DEFAULT_WEIGHTS | dict(StoreScoreItem.objects.values_list("item", "weight"))


def store_score_trend(*, retailer: Retailer, limit: int = 8) -> list[Visit]:
    """The shop's last scored visits, oldest first (the portrait's trend)."""
    rows = list(
        Visit.objects.filter(retailer=retailer, store_score__isnull=False)
        .exclude(trust=Visit.Trust.REJECTED)
        .order_by("-visited_on", "-id")[:limit]
    )
    return rows[::-1]


def _scope_ids(user: User) -> QuerySet:
    return retailer_scope(user=user).values("pk")


# ---- visits and plans ---------------------------------------------------------------------------------------
def visit_list(*, user: User, retailer_id: int | None = None, flagged: bool | None = None) -> QuerySet[Visit]:
    qs = Visit.objects.filter(retailer__in=_scope_ids(user)).select_related("retailer", "manager")
    if retailer_id is not None:
        qs = qs.filter(retailer_id=retailer_id)
    if flagged is True:
        qs = qs.filter(location_flag__in=[Visit.LocationFlag.TOO_FAR, Visit.LocationFlag.NO_LOCATION])
    return qs


def visits_doubtful(*, user: User) -> QuerySet[Visit]:
    """The review queue: doubtful visits of the user's shops, oldest first."""
    return (
        visit_list(user=user)
        .filter(trust=Visit.Trust.DOUBTFUL)
        .prefetch_related("photos")
        .order_by("checked_in_at", "id")
    )


def visit_get(*, user: User, visit_id: int) -> Visit:
    qs = visit_list(user=user).prefetch_related("photos", "stock_checks__programme__product")
    return get_object_or_404(qs, pk=visit_id)


def visit_photo_get(*, user: User, visit_id: int, photo_id: int) -> VisitPhoto:
    """A visit's photo, if the user may see the visit's retailer; 404 otherwise (ids out of range included)."""
    if not (0 < visit_id < 2**63 and 0 < photo_id < 2**63):
        raise Http404
    qs = VisitPhoto.objects.filter(visit_id=visit_id, visit__retailer__in=_scope_ids(user))
    return get_object_or_404(qs, pk=photo_id)


def retailer_recent_visits(*, retailer: Retailer, limit: int = 5) -> list[Visit]:
    return list(
        Visit.objects.filter(retailer=retailer)
        .select_related("manager")
        .order_by("-visited_on", "-id")[:limit]
    )


def plan_list(*, user: User, day_from: datetime.date | None = None, day_to: datetime.date | None = None):
    qs = VisitPlan.objects.filter(retailer__in=_scope_ids(user)).select_related(
        "retailer", "manager", "route"
    )
    if day_from:
        qs = qs.filter(planned_on__gte=day_from)
    if day_to:
        qs = qs.filter(planned_on__lte=day_to)
    return qs


def managers_for(*, user: User) -> QuerySet[User]:
    """The customer managers whose daily list this user may open: themselves, or those with routes in their
    scope."""
    managers = User.objects.filter(role=User.Role.MANAGER, is_active=True)
    if user.role == User.Role.MANAGER:
        return managers.filter(pk=user.pk)
    routes_in_scope = retailer_scope(user=user).values("route__manager")
    return managers.filter(pk__in=routes_in_scope).order_by("display_name", "username")


def manager_get(*, user: User, manager_id: int) -> User:
    return get_object_or_404(managers_for(user=user), pk=manager_id)


def request_categories() -> list[tuple[str, str]]:
    """The complaint categories a retailer's request raised during a visit can be filed under (feedback's)."""
    from feedback.complaints.selectors import categories_active

    return [(c.code, c.name) for c in categories_active()]


def scope_sql(user: User) -> tuple[str, tuple]:
    """The SQL of the user's retailer ids, to embed as `IN (…)` in raw reports (an empty scope selects nothing)."""
    return queryset_sql(retailer_scope(user=user).values("pk"))


def scope_is_everything(user: User) -> bool:
    """Whether the user's scope is every retailer (retailer_scope with no condition at all), so a company-wide
    report can leave out the `IN (…)` that would only cost a pass over every retailer."""
    return not retailer_scope(user=user).query.where


def fetch_dicts(sql: str, params) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
