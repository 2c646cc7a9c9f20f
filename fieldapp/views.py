"""The installable field app: web manifest and service worker (served at the site root so their scope is the whole
app), the list of pages a phone keeps for offline use, the product catalogue page, the sync endpoint of the
offline visit queue, the held visits a supervisor looks at, and a logout that wipes the phone's copies."""

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.errors import ConflictError, error_text
from core.messages import system_message
from fieldapp import selectors, services, system_texts
from fieldapp.models import HeldVisit
from visits.models import Visit
from visits.records.views import DEVICE_CLOCK_HEADER, visit_record_view

SW_SOURCE = Path(settings.BASE_DIR) / "static" / "js" / "sw.js"
# bumped when the shell changes: a new service worker drops the old caches
SHELL_VERSION = "2026-12-07.3"
SHELL = (
    "vendor/css/bootstrap.min.css",
    "vendor/css/bootstrap-icons.min.css",
    "vendor/css/fonts/bootstrap-icons.woff2",
    "css/app.css",
    "css/visits.css",
    "vendor/js/bootstrap.bundle.min.js",
    "vendor/js/htmx.min.js",
    "js/pwa.js",
    "js/visit_form.js",
    "js/route.js",
    "img/icon.svg",
)


@require_GET
@never_cache
def service_worker_view(request):
    """/sw.js: the worker's code with this deployment's shell list and version; allowed to control the whole site."""
    shell = [static(path) for path in SHELL if _static_exists(path)]
    head = f"const SHELL_VERSION = {SHELL_VERSION!r};\nconst SHELL = {shell!r};\nconst OFFLINE_TEXT = {_offline_text()!r};\n"
    response = HttpResponse(head + SW_SOURCE.read_text(encoding="utf-8"), content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


def _static_exists(path: str) -> bool:
    from django.contrib.staticfiles import finders

    return finders.find(path) is not None


def _offline_text() -> str:
    return _("网络不通，此页面没有离线副本。请返回今日清单。")


@require_GET
def manifest_view(request):
    data = {
        "name": _("烟草营销 CRM · 外勤"),
        "short_name": _("外勤"),
        "description": _("客户经理的走访清单、客户档案和走访记录，离线可用。"),
        "lang": request.LANGUAGE_CODE,
        "start_url": reverse("visits:daily-list"),
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#8c1d18",
        "icons": [{"src": static("img/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"}],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


@login_required
@require_GET
@never_cache
def offline_urls_view(request):
    """The pages this user's phone keeps for offline use (fetched by the page script, then cached one by one), and
    how often the phone refreshes them (settings.FIELD_OFFLINE_REFRESH_SECONDS)."""
    return JsonResponse(
        {
            "urls": selectors.offline_urls(user=request.user),
            "generated_at": timezone.now().isoformat(),
            "refresh_seconds": settings.FIELD_OFFLINE_REFRESH_SECONDS,
        }
    )


@login_required
@require_GET
def products_view(request):
    return render(request, "fieldapp/products.html", {"products": selectors.products_active()})


@login_required
@permission_required("visits.add_visit", raise_exception=True)
@require_POST
def visit_sync_view(request, pk):
    """Where the offline queue sends a visit. A shop still in the user's scope: exactly the visit form's endpoint
    (visits.records.views.visit_record_view, idempotent by key). A shop that moved to another manager meanwhile: the
    submission is kept whole for the supervisor (HeldVisit) and refused with 409 and `held: true`, so the phone
    stops retrying; replaying it answers the same. A shop that does not exist: 404."""
    if retailer_scope(user=request.user).filter(pk=pk).exists():
        return visit_record_view(request, pk)
    retailer = Retailer.objects.filter(pk=pk).first()
    if retailer is None:
        return JsonResponse({"message": _("客户不存在。")}, status=404)
    try:
        key = uuid.UUID(request.POST.get("idempotency_key", ""))
    except ValueError:
        return JsonResponse({"message": _("缺少提交标识。")}, status=400)
    existing = Visit.objects.filter(idempotency_key=key, manager=request.user, retailer=retailer).first()
    if existing is not None:  # recorded before the shop moved: the earlier answer stands
        return JsonResponse(
            {"id": existing.pk, "created": False, "message": _("这条走访之前已保存，未重复记录。")}
        )
    payload = {k: v for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    if request.headers.get(DEVICE_CLOCK_HEADER) and not payload.get("device_time"):
        payload["device_time"] = request.headers[DEVICE_CLOCK_HEADER]  # the phone's clock at this send
    services.held_visit_keep(
        actor=request.user,
        retailer=retailer,
        idempotency_key=key,
        payload=payload,
        message=system_message(system_texts.HELD_SHOP_MOVED),
        photos=request.FILES.getlist("photos"),
    )
    return JsonResponse(
        {
            "held": True,
            "message": _("未入账：%(shop)s 已划归其他客户经理。本次走访已完整保留，转交主管处理。")
            % {"shop": retailer.shop_name},
        },
        status=409,
    )


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def held_list_view(request):
    """Open ones first (oldest first: they wait longest), then the last decided ones."""
    held = selectors.held_visits(user=request.user)
    return render(
        request,
        "fieldapp/held_list.html",
        {
            "open": held.filter(status=HeldVisit.Status.OPEN).order_by("created_at")[:100],
            "decided": held.exclude(status=HeldVisit.Status.OPEN).order_by("-decided_at")[:30],
            "may_decide": services.held_visit_may_decide(user=request.user),
        },
    )


@login_required
@permission_required(services.DECIDE_PERMISSION, raise_exception=True)
@require_POST
def held_decide_view(request, pk):
    held = get_object_or_404(selectors.held_visits(user=request.user), pk=pk)
    decision = request.POST.get("decision")
    if decision not in ("record", "dismiss"):
        messages.error(request, _("请选择入账或不入账。"))
        return redirect("fieldapp:held-list")
    try:
        held = services.held_visit_decide(
            actor=request.user, held=held, record=decision == "record", note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except ConflictError as exc:
        messages.warning(request, str(exc))
    else:
        messages.success(
            request,
            _("已入账：%(shop)s 的走访计入 %(manager)s 的走访记录。")
            % {"shop": held.retailer.shop_name, "manager": held.manager}
            if held.status == HeldVisit.Status.RECORDED
            else _("已标记为不入账：%(shop)s。") % {"shop": held.retailer.shop_name},
        )
    return redirect("fieldapp:held-list")


class LogoutView(auth_views.LogoutView):
    """Logout that also tells the browser to drop this site's caches and storage (the offline copies, the queue, the
    service worker): personal data must not outlive the session on a shared phone. The page script wipes them
    first as well, for browsers that ignore the header."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
