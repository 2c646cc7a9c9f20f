"""Each role's home page, dispatched from crm.views.home_view (the top layer, which knows the Celery app)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import retailer_get
from feedback.surveys.models import SurveyResponse
from workspace.selectors import admin_health, manager_workspace, portrait_summary


def manager_home(request):
    """The customer manager's workspace: today's work, each item one tap from its action."""
    workspace = manager_workspace(manager=request.user)
    return render(
        request,
        "workspace/manager_home.html",
        {"ws": workspace, "today": workspace.today, "low_survey_score": SurveyResponse.LOW_SCORE},
    )


def admin_home(request, *, celery_app, heartbeat: str | None):
    """The administrator's home: system health."""
    health = admin_health(celery_app=celery_app, heartbeat=heartbeat)
    return render(request, "workspace/admin_home.html", {"health": health})


@login_required
@require_GET
def retailer_summary_view(request, pk):
    """The portrait's first-screen summary (htmx): lifecycle, this cycle's allowance, open cases, points."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    summary = portrait_summary(user=request.user, retailer=retailer)
    return render(request, "includes/portrait_summary.html", {"s": summary, "r": retailer})
