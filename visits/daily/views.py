"""The daily list page (phone-first)."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from users.models import User
from visits import selectors
from visits.daily.selectors import daily_list
from visits.http import positive_id


@login_required
@permission_required("visits.view_visitplan", raise_exception=True)
@require_GET
def daily_list_view(request):
    # the team is a pass over the territory's shops: read once, for the first manager and the chooser alike
    managers = (
        [] if request.user.role == User.Role.MANAGER else list(selectors.managers_for(user=request.user))
    )
    chosen = positive_id(request.GET.get("manager"))
    if chosen:
        manager = selectors.manager_get(user=request.user, manager_id=chosen)
    elif request.user.role == User.Role.MANAGER:
        manager = request.user
    else:
        manager = managers[0] if managers else None
    today = timezone.localdate()
    tomorrow = request.GET.get("day") == "tomorrow"  # the offline app keeps tomorrow's list too
    if tomorrow:
        today += datetime.timedelta(days=1)
    entries = daily_list(manager=manager, today=today) if manager else []
    return render(
        request,
        "visits/daily_list.html",
        {
            "entries": entries,
            "manager": manager,
            "managers": managers,
            "today": today,
            "tomorrow": tomorrow,
            "planned_count": sum(1 for e in entries if e.planned_today),
        },
    )
