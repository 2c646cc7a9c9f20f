"""The day's route page: the daily list's shops in visiting order, drawn as an inline SVG (no map tiles: the app
runs on intranets), with each stop's navigation link and a skip button that re-plans the rest."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from users.models import User
from visits import selectors
from visits.http import MAX_ID
from visits.route import tour as routing
from visits.route.selectors import day_route


def _ids(value: str) -> set[int]:
    """`skip=3,17,…` → {3, 17}; anything that is not a positive id is ignored."""
    return {int(v) for v in value.split(",") if v.isdigit() and 0 < int(v) <= MAX_ID}


def _position(request) -> tuple[float, float] | None:
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lon <= 180:
        return lat, lon
    return None


@login_required
@permission_required("visits.view_visitplan", raise_exception=True)
@require_GET
def route_view(request):
    managers = selectors.managers_for(user=request.user)
    chosen = request.GET.get("manager", "")
    if chosen.isdigit() and 0 < int(chosen) <= MAX_ID:
        manager = selectors.manager_get(user=request.user, manager_id=int(chosen))
    elif request.user.role == User.Role.MANAGER:
        manager = request.user
    else:
        manager = managers.first()
    skip = _ids(request.GET.get("skip", ""))
    start = _position(request)
    plan = day_route(manager=manager, skip=skip, start=start) if manager else None
    return render(
        request,
        "visits/route.html",
        {
            "plan": plan,
            "manager": manager,
            "managers": managers if request.user.role != User.Role.MANAGER else [],
            "today": timezone.localdate(),
            "skip": ",".join(str(i) for i in sorted(skip)),
            "start": start,
            "minutes_per_stop": routing.MINUTES_PER_STOP,
            "kmh": int(routing.TRAVEL_KMH),
        },
    )
