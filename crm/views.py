"""The home dashboard for each role and the health probe."""

import datetime
import os

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.selectors import retailer_scope
from cockpit.views import cockpit_context
from core.replica import reads_from_replica
from users.models import User
from workspace import views as workspace_views
from workspace.selectors import HEARTBEAT_KEY

EXPIRY_WINDOWS = (30, 60, 90)


@login_required
@require_GET
def home_view(request):
    """Each role's home: the customer manager's workspace, the administrator's system health, the supervisor's
    territory overview (supervisor_home)."""
    user = request.user
    if user.role == User.Role.MANAGER:
        return workspace_views.manager_home(request)
    if user.is_company_admin:
        from crm.celery_app import app

        return workspace_views.admin_home(request, celery_app=app, heartbeat=cache.get(HEARTBEAT_KEY))
    return supervisor_home(request)


@reads_from_replica
def supervisor_home(request):
    """The territory overview (supervisors, integrations): licence expiries, credit grades, shops per manager."""
    user = request.user
    if user.role == User.Role.SUPERVISOR and user.org_unit_id:
        # the supervisor's home is the cockpit of their unit (one without a unit yet sees the empty overview)
        return render(request, "cockpit/cockpit.html", {**cockpit_context(request), "is_home": True})
    today = timezone.localdate()
    scope = retailer_scope(user=user)
    active = scope.filter(status="active")
    stats = active.aggregate(
        total=Count("id"),
        expired=Count("id", filter=Q(licence_expires_on__lt=today)),
        **{
            f"expiring_{d}": Count(
                "id",
                filter=Q(
                    licence_expires_on__gte=today, licence_expires_on__lte=today + datetime.timedelta(days=d)
                ),
            )
            for d in EXPIRY_WINDOWS
        },
        no_sms_consent=Count("id", filter=Q(sms_consent=False)),
        no_tier=Count("id", filter=Q(tier__isnull=True)),
        unassigned=Count("id", filter=Q(route__isnull=True) | Q(route__manager__isnull=True)),
    )
    expiring = (
        active.filter(licence_expires_on__lte=today + datetime.timedelta(days=90))
        .select_related("route__manager")
        .order_by("licence_expires_on", "id")[:8]
    )
    credit = list(active.values("credit_grade").annotate(n=Count("id")).order_by("credit_grade"))
    by_manager = []
    if user.role != User.Role.MANAGER:
        by_manager = list(
            active.values("route__manager__username", "route__manager__display_name")
            .annotate(
                n=Count("id"),
                expiring=Count("id", filter=Q(licence_expires_on__lte=today + datetime.timedelta(days=30))),
            )
            .order_by("-n")[:12]
        )
    context = {
        "stats": stats,
        "expiring": expiring,
        "credit": credit,
        "by_manager": by_manager,
        "today": today,
        "windows": EXPIRY_WINDOWS,
    }
    return render(request, "crm/home.html", context)


@never_cache
@require_GET
def healthz_view(request):
    """Database and broker reachability, for load balancers and `make run` checks. 503 when either is down."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {exc.__class__.__name__}: {exc}"
    checks["broker"] = _broker_status()
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503)


def _broker_status() -> str:
    from crm.celery_app import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            if conn.transport_cls == "filesystem":
                folder = conn.transport_options.get("data_folder_out")
                if not folder or not os.access(folder, os.W_OK):
                    return f"error: broker folder {folder} is missing or not writable"
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}: {exc}"
