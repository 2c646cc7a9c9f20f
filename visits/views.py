"""Field-work pages: the daily list and the visit form (phone-first), the visit log, coverage with its CSV export,
cultivation programmes, and the portrait panel. Views parse input, call one service or selector, and render."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Retailer
from accounts.selectors import retailer_get, retailer_scope
from core.errors import ConflictError
from core.replica import reads_from_replica
from core.spreadsheet import csv_response
from users.models import OrgUnit, User
from visits import selectors, services
from visits.forms import PeriodForm, ProgrammeForm, ReviewForm, TargetsForm, VisitForm
from visits.selectors.coverage import coverage, coverage_totals, retailer_intervals
from visits.selectors.cultivation import programme_progress, programme_target_rows
from visits.selectors.daily import daily_list
from visits.services.records import CHECKLIST_FIELDS

VISITS_PAGE = 30
REVIEW_PAGE = 50
MAX_ID = 2**31 - 1
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


def _id(value: str | None) -> int | None:
    """A positive database id from a query parameter, or None for anything else."""
    if value and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def store_score_trend_points(visits: list) -> dict:
    """The portrait's sparkline: the last scores as an SVG polyline (0–100 mapped on a 120×32 box)."""
    scores = [v.store_score for v in visits]
    if not scores:
        return {}
    step = 120 / max(len(scores) - 1, 1)
    points = " ".join(f"{round(i * step, 1)},{round(32 - s * 0.3 - 1, 1)}" for i, s in enumerate(scores))
    return {"visits": visits, "latest": scores[-1], "points": points, "delta": scores[-1] - scores[0]}


def _errors(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# ---- the daily list --------------------------------------------------------------------------------------------
@login_required
@permission_required("visits.view_visitplan", raise_exception=True)
@require_GET
def daily_list_view(request):
    # the team is a pass over the territory's shops: read once, for the first manager and the chooser alike
    managers = (
        [] if request.user.role == User.Role.MANAGER else list(selectors.managers_for(user=request.user))
    )
    chosen = _id(request.GET.get("manager"))
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


# ---- the visit form --------------------------------------------------------------------------------------------
def _form_context(request, retailer: Retailer, form: VisitForm | None = None) -> dict:
    programmes = list(selectors.programmes_running_for(retailer=retailer, day=timezone.localdate()))
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
    programmes = list(selectors.programmes_running_for(retailer=retailer, day=timezone.localdate()))
    form = VisitForm(request.POST, programmes=programmes)
    if not form.is_valid():
        return JsonResponse(
            {"errors": form.errors.get_json_data(), "message": _("请检查填写的内容。")}, status=400
        )
    data = form.visit_input()
    try:
        if data.device_time is None:
            data.device_time = device_clock(request)
        visit, created = services.visit_record(
            actor=request.user,
            retailer=retailer,
            idempotency_key=form.cleaned_data["idempotency_key"],
            data=data,
            photos=request.FILES.getlist("photos"),
        )
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return JsonResponse({"errors": errors, "message": _errors(exc)}, status=400)
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


# ---- the review of doubtful visits ------------------------------------------------------------------------------
@login_required
@permission_required("visits.review_visit", raise_exception=True)
@require_GET
def review_queue_view(request):
    """Doubtful visits of the supervisor's shops, oldest first, each with its reasons and photos."""
    qs = selectors.visits_doubtful(user=request.user)
    return render(
        request,
        "visits/review_queue.html",
        {"visits": list(qs[:REVIEW_PAGE]), "total": qs.count(), "form": ReviewForm()},
    )


@login_required
@permission_required("visits.review_visit", raise_exception=True)
@require_POST
def review_decide_view(request, pk):
    visit = selectors.visit_get(user=request.user, visit_id=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择认可或驳回。"))
        return redirect("visits:review-queue")
    try:
        services.visit_review(
            actor=request.user,
            visit=visit,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(
            request,
            _("已审核：%(shop)s %(day)s") % {"shop": visit.retailer.shop_name, "day": visit.visited_on},
        )
    return redirect("visits:review-queue")


@login_required
@permission_required("visits.view_visit", raise_exception=True)
@require_GET
def visit_list_view(request):
    """Newest first, keyset-paged by id (`?before=<id>`), optionally only flagged check-ins."""
    flagged = request.GET.get("flagged") == "1"
    qs = selectors.visit_list(user=request.user, flagged=flagged or None).order_by("-id")
    before = _id(request.GET.get("before"))
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


# ---- coverage --------------------------------------------------------------------------------------------------
def _period(request) -> tuple[PeriodForm, datetime.date, datetime.date]:
    today = timezone.localdate()
    form = PeriodForm(request.GET or None, initial=PeriodForm.default_period(today))
    if form.is_bound and form.is_valid():
        return form, form.cleaned_data["day_from"], form.cleaned_data["day_to"]
    default = PeriodForm.default_period(today)
    return form, default["day_from"], default["day_to"]


@login_required
@permission_required("visits.view_coverage", raise_exception=True)
@require_GET
@reads_from_replica
def coverage_view(request):
    form, day_from, day_to = _period(request)
    rows = coverage(user=request.user, day_from=day_from, day_to=day_to)
    chart = {
        "labels": [f"{r.manager}·{r.route.code if r.route else '-'}" for r in rows],
        "planned": [r.planned for r in rows],
        "done": [r.done for r in rows],
    }
    return render(
        request,
        "visits/coverage.html",
        {
            "form": form,
            "rows": rows,
            "totals": coverage_totals(rows),
            "day_from": day_from,
            "day_to": day_to,
            "chart": chart,
            "chart_height": max(200, 36 * len(rows) + 70),
            "intervals": retailer_intervals(user=request.user, day_from=day_from, day_to=day_to, limit=10),
            "may_export": request.user.has_perm("visits.export_coverage"),
            "may_review": request.user.has_perm("visits.review_visit"),
            "trusted_only": selectors.policy_get().coverage_trusted_only,
        },
    )


@login_required
@permission_required("visits.export_coverage", raise_exception=True)
@require_GET
@reads_from_replica
def coverage_export_view(request):
    """The coverage table as CSV (UTF-8 with BOM, so Excel opens it); every export is logged."""
    form, day_from, day_to = _period(request)
    if form.is_bound and not form.is_valid():
        return HttpResponse(" ".join(e for errs in form.errors.values() for e in errs), status=400)
    rows = coverage(user=request.user, day_from=day_from, day_to=day_to)
    services.coverage_export_log(
        user=request.user, filters={"day_from": str(day_from), "day_to": str(day_to)}, row_count=len(rows)
    )
    return csv_response(
        [
            _("客户经理"),
            _("线路"),
            _("计划"),
            _("完成"),
            _("覆盖率(%)"),
            _("走访次数"),
            _("距离过远"),
            _("未定位"),
            _("存疑"),
            _("存疑率(%)"),
            _("平均间隔(天)"),
        ],
        (
            [
                str(r.manager),
                str(r.route) if r.route else "",
                r.planned,
                r.done,
                r.coverage_pct if r.coverage_pct is not None else "",
                r.visits,
                r.too_far,
                r.no_location,
                r.doubtful,
                r.flag_rate_pct if r.flag_rate_pct is not None else "",
                r.avg_interval_days if r.avg_interval_days is not None else "",
            ]
            for r in rows
        ),
        filename=f"coverage-{day_from}-{day_to}.csv",
    )


# ---- cultivation -----------------------------------------------------------------------------------------------
def _units_for(user: User):
    units = OrgUnit.objects.all()
    if user.is_company_admin:
        return units
    return units.filter(path__startswith=user.org_unit.path) if user.org_unit_id else units.none()


@login_required
@permission_required("visits.view_cultivationprogramme", raise_exception=True)
@require_http_methods(["GET", "POST"])
def programme_list_view(request):
    may_add = request.user.has_perm("visits.add_cultivationprogramme")
    form = None
    if may_add:
        form = ProgrammeForm(request.POST or None, units=_units_for(request.user))
        if request.method == "POST" and form.is_valid():
            try:
                programme = services.programme_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("培育项目已创建。"))
                return redirect(programme.get_absolute_url())
    elif request.method == "POST":
        return HttpResponse(status=403)
    today = timezone.localdate()
    return render(
        request,
        "visits/programme_list.html",
        {"programmes": selectors.programme_list(user=request.user)[:100], "form": form, "today": today},
    )


@login_required
@permission_required("visits.view_cultivationprogramme", raise_exception=True)
@require_GET
def programme_detail_view(request, pk):
    programme = selectors.programme_get(user=request.user, programme_id=pk)
    periods, total, by_manager = programme_progress(user=request.user, programme=programme)
    return render(
        request,
        "visits/programme_detail.html",
        {
            "programme": programme,
            "periods": periods,
            "total": total,
            "by_manager": by_manager,
            "targets": programme_target_rows(user=request.user, programme=programme),
            "may_target": request.user.has_perm("visits.add_cultivationtarget"),
            "targets_form": TargetsForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("visits.add_cultivationtarget", raise_exception=True)
@require_POST
def programme_targets_view(request, pk):
    """Add targets by rule (`mode=rule`) or by customer codes."""
    programme = selectors.programme_get(user=request.user, programme_id=pk)
    try:
        if request.POST.get("mode") == "rule":
            added = services.programme_targets_by_rule(programme=programme, actor=request.user)
        else:
            form = TargetsForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请输入客户编码。"))
            codes = form.codes()
            found = dict(
                retailer_scope(user=request.user)
                .filter(customer_code__in=codes)
                .values_list("customer_code", "pk")
            )
            unknown = [c for c in codes if c not in found]
            if unknown:
                raise ValidationError(_("找不到这些客户编码：%(codes)s") % {"codes": "、".join(unknown)})
            added = services.programme_targets_add(
                actor=request.user, programme=programme, retailer_ids=list(found.values())
            )
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("新增 %(n)s 户目标客户。") % {"n": added})
    return redirect(programme.get_absolute_url())
