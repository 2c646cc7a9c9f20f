"""Visit pages: the visit form (phone-first) and its post, a visit and its photos, the visit log, and the
portrait panel. Views parse input, call one service or selector, and render."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Retailer
from accounts.selectors import retailer_get
from core.errors import ConflictError, error_text
from visits import selectors
from visits.cultivation.selectors import programmes_running_for
from visits.forms import VisitForm
from visits.http import positive_id
from visits.records.services import CHECKLIST_FIELDS, visit_record

VISITS_PAGE = 30
# the words the visit form's script shows (it runs offline, so they come with the page)
JS_MESSAGES = {
    "draft_saved": _lazy("草稿已保存在本机，尚未提交。"),
    "draft_restored": _lazy("已恢复上次未提交的草稿。"),
    "locating": _lazy("正在定位…"),
    "located": _lazy("已定位，精度约 %s 米"),
    "geo_failed": _lazy("定位失败：%s。可填写原因后继续提交。"),
    "geo_unsupported": _lazy("此浏览器不支持定位"),
    "sending": _lazy("正在提交…"),
    "saved": _lazy("已保存"),
    "offline": _lazy("未发送：网络不通，已保留在本机，将自动重试。"),
    "retry_in": _lazy("未发送，%s 秒后自动重试（草稿已保留）。"),
    "rejected": _lazy("未保存，请修改后重新提交："),
    "session": _lazy("未保存：登录已失效。请在新标签页重新登录，再回到本页提交（草稿已保留）。"),
}


def store_score_trend_points(visits: list) -> dict:
    """The portrait's sparkline: the last scores as an SVG polyline (0–100 mapped on a 120×32 box)."""
    scores = [v.store_score for v in visits]
    if not scores:
        return {}
    step = 120 / max(len(scores) - 1, 1)
    points = " ".join(f"{round(i * step, 1)},{round(32 - s * 0.3 - 1, 1)}" for i, s in enumerate(scores))
    return {"visits": visits, "latest": scores[-1], "points": points, "delta": scores[-1] - scores[0]}


def _form_context(request, retailer: Retailer, form: VisitForm | None = None) -> dict:
    programmes = list(programmes_running_for(retailer=retailer, day=timezone.localdate()))
    policy = selectors.policy_get()
    form = form or VisitForm(programmes=programmes)
    return {
        "retailer": retailer,
        "programmes": programmes,
        "form": form,
        "checklist": [(name, form.fields[name].label) for name in CHECKLIST_FIELDS],
        "messages_i18n": JS_MESSAGES,
        "radius_m": policy.checkin_radius_m,
        "categories": selectors.request_categories(),
        "has_shop_location": retailer.latitude is not None and retailer.longitude is not None,
        "recent": selectors.retailer_recent_visits(retailer=retailer, limit=3),
    }


@login_required
@permission_required("visits.add_visit", raise_exception=True)
@require_GET
def visit_new_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    return render(request, "visits/visit_form.html", _form_context(request, retailer))


DEVICE_CLOCK_HEADER = "X-Device-Time"


def device_clock(request) -> datetime.datetime | None:
    """The phone's clock when it sent this request (header X-Device-Time, ISO 8601 with offset), set by the visit
    form and by the offline queue at each send: compared with the server's clock on arrival, it measures the
    phone's clock, not how long a visit waited offline. Outside the body, so a retry's body stays the same."""
    raw = request.headers.get(DEVICE_CLOCK_HEADER, "").strip()
    if not raw:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or timezone.is_naive(value):
        raise ValidationError({"device_time": _("手机时间（X-Device-Time）应为带时区的 ISO 8601 时间。")})
    return value


@login_required
@permission_required("visits.add_visit", raise_exception=True)
@require_POST
def visit_record_view(request, pk):
    """The phone posts here with fetch (multipart). JSON answers: 201 created, 200 the same submission again,
    400 with field errors, 409 a key used for another visit. Nothing is written unless the whole visit is."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    programmes = list(programmes_running_for(retailer=retailer, day=timezone.localdate()))
    form = VisitForm(request.POST, programmes=programmes)
    if not form.is_valid():
        return JsonResponse(
            {"errors": form.errors.get_json_data(), "message": _("请检查填写的内容。")}, status=400
        )
    data = form.visit_input()
    try:
        if data.device_time is None:
            data.device_time = device_clock(request)
        visit, created = visit_record(
            actor=request.user,
            retailer=retailer,
            idempotency_key=form.cleaned_data["idempotency_key"],
            data=data,
            photos=request.FILES.getlist("photos"),
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return JsonResponse({"errors": errors, "message": error_text(exc)}, status=400)
    except ConflictError as exc:
        return JsonResponse({"message": str(exc)}, status=409)
    return JsonResponse(
        {
            "id": visit.pk,
            "created": created,
            "url": reverse("visits:visit-detail", args=[visit.pk]),
            "location_flag": visit.location_flag,
            "location": visit.get_location_flag_display(),
            "distance_m": visit.distance_m,
            "complaint_ref": visit.complaint_ref,
            "trust": visit.trust,
            "trust_reasons": visit.trust_reason_texts,
            "store_score": visit.store_score,
            "message": _("走访已保存。") if created else _("这条走访之前已保存，未重复记录。"),
        },
        status=201 if created else 200,
    )


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def visit_detail_view(request, pk):
    visit = selectors.visit_get(user=request.user, visit_id=pk)
    checks = [(visit._meta.get_field(name).verbose_name, getattr(visit, name)) for name in CHECKLIST_FIELDS]
    return render(request, "visits/visit_detail.html", {"visit": visit, "checks": checks})


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def visit_photo_view(request, pk, photo_id):
    """A visit's photo, to those who may see the visit's retailer (media is never served publicly: shops, people,
    licences); another territory's photo answers 404."""
    photo = selectors.visit_photo_get(user=request.user, visit_id=pk, photo_id=photo_id)
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def visit_photo_stamped_view(request, pk, photo_id):
    """The server-stamped copy of a visit's photo (an SVG the server wrote: the photo with shop, manager, time and
    distance), scoped like the original. It runs no script: served with a CSP that forbids any."""
    photo = selectors.visit_photo_get(user=request.user, visit_id=pk, photo_id=photo_id)
    if not photo.stamped:
        return HttpResponse(status=404)
    response = FileResponse(photo.stamped.open("rb"), content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    return response


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def visit_list_view(request):
    """Newest first, keyset-paged by id (`?before=<id>`), optionally only flagged check-ins."""
    flagged = request.GET.get("flagged") == "1"
    qs = selectors.visit_list(user=request.user, flagged=flagged or None).order_by("-id")
    before = positive_id(request.GET.get("before"))
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: VISITS_PAGE + 1])
    return render(
        request,
        "visits/visit_list.html",
        {
            "visits": rows[:VISITS_PAGE],
            "next_before": rows[VISITS_PAGE - 1].pk if len(rows) > VISITS_PAGE else None,
            "flagged": flagged,
        },
    )


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def retailer_visits_panel_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    return render(
        request,
        "includes/retailer_visits.html",
        {
            "retailer": retailer,
            "visits": selectors.retailer_recent_visits(retailer=retailer, limit=5),
            "score_trend": store_score_trend_points(selectors.store_score_trend(retailer=retailer)),
            "score_threshold": selectors.policy_get().store_score_threshold,
        },
    )
