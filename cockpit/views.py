"""The supervisor's cockpit, the list behind a number, targets, notices and the monthly reports."""

import datetime
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cockpit.forms import KpiTargetForm, ReportGenerateForm
from cockpit.kpis import KPIS, LEAGUE_KPIS
from cockpit.models import Notice, Period
from cockpit.notices import digest_lines, notice_title
from cockpit.periods import label, period_start
from cockpit.selectors.cockpit import (
    cockpit_get,
    cockpit_unit,
    cockpit_units,
    default_start,
    rag,
    shift_start,
)
from cockpit.selectors.drill import drill_retailers
from cockpit.selectors.league import league_table
from cockpit.selectors.notices import notice_list, notices_unread
from cockpit.selectors.reports import report_get, report_list
from cockpit.selectors.targets import alerts_open, target_get, target_list
from cockpit.services.notices import notices_mark_read
from cockpit.services.reports import monthly_report_generate, monthly_report_xlsx, report_view
from cockpit.services.targets import target_delete, target_save
from core.replica import reads_from_replica
from users.models import User

LEAGUE_ROWS = 30  # managers shown before "show all": a company has hundreds
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def staff_lead_required(view):
    """Supervisors and admins: the cockpit is theirs."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if (
            request.user.role not in (User.Role.SUPERVISOR, User.Role.ADMIN)
            and not request.user.is_company_admin
        ):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _period(request) -> tuple[str, datetime.date]:
    period = request.GET.get("period") or Period.WEEK
    if period not in Period.values:
        period = Period.WEEK
    day = parse_date(request.GET.get("start") or "") if request.GET.get("start") else None
    start = period_start(period, day) if day else default_start(period)
    return period, start


def cockpit_context(request) -> dict:
    """What the cockpit page draws, for the home (supervisors) and /cockpit/ (any unit of the user's)."""
    unit = cockpit_unit(user=request.user, unit_id=request.GET.get("unit"))
    period, start = _period(request)
    cockpit = cockpit_get(unit=unit, period=period, start=start)
    sort = request.GET.get("sort") if request.GET.get("sort") in LEAGUE_KPIS else "order_rate"
    managers = league_table(unit=unit, by="manager", period=period, start=start, sort=sort)
    show_all = bool(request.GET.get("all"))
    chart = {
        "labels": cockpit.labels,
        "series": {
            c.kpi.code: {
                "values": [_chart_value(c.kpi, v) for v in c.trend],
                "target": None if c.target is None else float(c.target.value),
            }
            for c in cockpit.cards
        },
    }
    return {
        "cockpit": cockpit,
        "unit": unit,
        "units": cockpit_units(user=request.user),
        "period": period,
        "period_label": label(period, start),
        "previous_start": shift_start(period, start, -1),
        "next_start": shift_start(period, start, 1),
        "league_kpis": [KPIS[c] for c in LEAGUE_KPIS],
        "sort": sort,
        "league_units": league_table(unit=unit, by="unit", period=period, start=start, sort=sort),
        "league_managers": managers if show_all else managers[:LEAGUE_ROWS],
        "league_managers_more": 0 if show_all else max(0, len(managers) - LEAGUE_ROWS),
        "alerts": [
            (a, KPIS[a.target.kpi].label if a.target.kpi in KPIS else a.target.kpi)
            for a in alerts_open(unit=unit)[:10]
        ],
        # alerts are listed above as they stand; the notices add the digests and reports
        "notices": [
            (n, notice_title(n)) for n in notices_unread(user=request.user) if n.kind != Notice.Kind.ALERT
        ],
        "chart": chart,
        "today": timezone.localdate(),
    }


def _chart_value(kpi, value):
    """A trend point in the unit a target is entered in (percent, yuan, yuan per carton)."""
    if value is None:
        return None
    if kpi.is_rate:
        return round(value * 100, 1)
    if kpi.fmt in ("fen", "per"):
        return round(value / 100, 1)
    return round(value, 1)


@staff_lead_required
@require_GET
@reads_from_replica
def cockpit_view(request):
    return render(request, "cockpit/cockpit.html", cockpit_context(request))


@staff_lead_required
@require_GET
@reads_from_replica
def drill_retailers_view(request):
    show = request.GET.get("show", "")
    start = parse_date(request.GET.get("start") or "")
    end = parse_date(request.GET.get("end") or "")
    if not start or not end or end < start or (end - start).days > 31:
        raise Http404
    org_unit_id = request.GET.get("org_unit") or None
    manager_id = request.GET.get("manager") or None
    unit = cockpit_unit(user=request.user, unit_id=org_unit_id) if org_unit_id else None
    manager = None
    if manager_id:
        from users.selectors import manager_scope

        manager = (
            manager_scope(user=request.user).filter(pk=manager_id).first() if manager_id.isdigit() else None
        )
        if manager is None:
            raise Http404
    rows, more = drill_retailers(
        user=request.user,
        show=show,
        start=start,
        end=end,
        org_unit_id=unit.pk if unit else None,
        manager_id=manager.pk if manager else None,
    )
    titles = {
        "not_ordered": _("本期未订货的正常客户"),
        "ordered": _("本期订货客户"),
        "new": _("本期新增客户"),
        "at_risk": _("本期转为流失风险"),
        "lost": _("本期转为已流失"),
        "reactivated": _("本期回流客户"),
    }
    return render(
        request,
        "cockpit/drill_retailers.html",
        {
            "rows": rows,
            "more": more,
            "title": titles[show],
            "show": show,
            "start": start,
            "end": end,
            "unit": unit,
            "manager": manager,
        },
    )


@staff_lead_required
@require_http_methods(["GET", "POST"])
def target_list_view(request):
    units = cockpit_units(user=request.user)
    if request.method == "POST":
        form = KpiTargetForm(request.POST, units=units)
        if form.is_valid():
            try:
                target_save(actor=request.user, data=form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("目标已保存。"))
                return redirect("cockpit:target-list")
    else:
        form = KpiTargetForm(
            units=units,
            initial={
                "org_unit": cockpit_unit(user=request.user).pk,
                "kpi": request.GET.get("kpi") or "order_rate",
                "starts_on": default_start(Period.WEEK),
            },
        )
    targets = list(target_list(user=request.user))
    rows = _target_rows(targets)
    return render(request, "cockpit/target_list.html", {"form": form, "rows": rows})


def _target_rows(targets) -> list[dict]:
    """Each target with its KPI's last complete period value and status (one query per period kind)."""
    from cockpit.kpis import display, target_scale, value_of
    from cockpit.models import KpiSnapshot

    rows = []
    by_period: dict[str, dict] = {}
    for period in Period.values:
        start = default_start(period)
        by_period[period] = {
            (unit_id, code): value_of(num, den)
            for unit_id, code, num, den in KpiSnapshot.objects.filter(
                org_unit_id__in={t.org_unit_id for t in targets if t.period == period},
                period=period,
                period_start=start,
            ).values_list("org_unit_id", "kpi", "num", "den")
        }
    for target in targets:
        kpi = KPIS.get(target.kpi)
        if kpi is None:
            continue
        value = by_period[target.period].get((target.org_unit_id, target.kpi))
        rows.append(
            {
                "target": target,
                "kpi": kpi,
                "goal": display(kpi, float(target.value) * target_scale(kpi)),
                "value": display(kpi, value),
                "status": rag(kpi, value, target),
            }
        )
    return rows


@staff_lead_required
@require_http_methods(["GET", "POST"])
def target_edit_view(request, pk):
    target = target_get(user=request.user, target_id=pk)
    units = cockpit_units(user=request.user)
    form = KpiTargetForm(request.POST or None, instance=target, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            target_save(actor=request.user, data=form.cleaned_data, target=target)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("目标已保存。"))
            return redirect("cockpit:target-list")
    return render(request, "cockpit/target_form.html", {"form": form, "target": target})


@staff_lead_required
@require_POST
def target_delete_view(request, pk):
    target = target_get(user=request.user, target_id=pk)
    target_delete(actor=request.user, target=target)
    messages.success(request, _("目标已删除。"))
    return redirect("cockpit:target-list")


@staff_lead_required
@require_GET
def notice_list_view(request):
    notices = list(notice_list(user=request.user)[:50])
    rows = [
        {"notice": n, "title": notice_title(n), "lines": digest_lines(n) if n.kind == "digest" else []}
        for n in notices
    ]
    return render(request, "cockpit/notice_list.html", {"rows": rows})


@staff_lead_required
@require_POST
def notice_read_view(request):
    ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()]
    notices_mark_read(user=request.user, notice_ids=ids or None)
    target = request.POST.get("next") or ""
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect("cockpit:notice-list")


@staff_lead_required
@require_http_methods(["GET", "POST"])
@reads_from_replica
def report_list_view(request):
    units = cockpit_units(user=request.user)
    if request.method == "POST":
        form = ReportGenerateForm(request.POST, units=units)
        if form.is_valid():
            report = monthly_report_generate(
                org_unit=form.cleaned_data["org_unit"], month=form.cleaned_data["month"], actor=request.user
            )
            return redirect("cockpit:report-detail", pk=report.pk)
    else:
        last_month = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        form = ReportGenerateForm(
            units=units,
            initial={
                "org_unit": cockpit_unit(user=request.user).pk,
                "month": last_month.strftime("%Y-%m"),
            },
        )
    reports = report_list(user=request.user)[:50]
    return render(request, "cockpit/report_list.html", {"form": form, "reports": reports})


@staff_lead_required
@require_GET
@reads_from_replica
def report_detail_view(request, pk):
    report = report_get(user=request.user, report_id=pk)
    return render(request, "cockpit/report_detail.html", {"report": report, "data": report_view(report.data)})


@staff_lead_required
@require_GET
@reads_from_replica
def report_xlsx_view(request, pk):
    report = report_get(user=request.user, report_id=pk)
    spool = monthly_report_xlsx(report=report)
    filename = f"monthly-report-{report.org_unit_id}-{report.month:%Y-%m}.xlsx"
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def home_url(unit_id: int | None = None) -> str:
    return reverse("cockpit:cockpit") + (f"?unit={unit_id}" if unit_id else "")
