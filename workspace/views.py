"""Each role's home page, dispatched from crm.views.home_view (the top layer, which knows the Celery app)."""

from django.shortcuts import render

from workspace.selectors import admin_health, manager_workspace


def manager_home(request):
    """The customer manager's workspace: today's work, each item one tap from its action."""
    workspace = manager_workspace(manager=request.user)
    return render(request, "workspace/manager_home.html", {"ws": workspace, "today": workspace.today})


def admin_home(request, *, celery_app, heartbeat: str | None):
    """The administrator's home: system health."""
    health = admin_health(celery_app=celery_app, heartbeat=heartbeat)
    return render(request, "workspace/admin_home.html", {"health": health})
