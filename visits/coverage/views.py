"""Coverage pages: planned vs done per manager (a manager's routes on demand), and its CSV export (every route)."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.errors import form_errors_text
from core.replica import reads_from_replica
from core.spreadsheet import csv_response
from users.models import User
from visits import selectors
from visits.coverage.selectors import coverage, coverage_totals, retailer_intervals
from visits.coverage.services import coverage_export_log
from visits.forms import PeriodForm
from visits.http import positive_id

CHART_ROWS = 30


def _manager(request) -> User | None:
    """The manager whose routes are asked for (`?manager=`), if one of the user's team (the daily list's
    selectors.managers_for: routes in the user's scope); else None, and the page lists every manager."""
    manager_id = positive_id(request.GET.get("manager"))
    if manager_id is None:
        return None
    return selectors.managers_for(user=request.user).filter(pk=manager_id).first()


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
    manager = _manager(request)
    # a row per manager, and one manager's routes on demand: a county's ~40 rows, not its ~200 routes
    if manager is not None:
        rows = coverage(user=request.user, day_from=day_from, day_to=day_to, manager_id=manager.pk)
    else:
        rows = coverage(user=request.user, day_from=day_from, day_to=day_to, by_route=False)
    # the chart shows the lowest coverage first, at most CHART_ROWS bars; the table has every row
    charted = sorted(rows, key=lambda r: (r.coverage_pct is None, r.coverage_pct or 0))[:CHART_ROWS]
    chart = {
        "labels": [f"{r.route.code if r.route else '-'}" if manager else str(r.manager) for r in charted],
        "planned": [r.planned for r in charted],
        "done": [r.done for r in charted],
    }
    return render(
        request,
        "visits/coverage.html",
        {
            "form": form,
            "rows": rows,
            "manager": manager,
            "charted": len(charted),
            "totals": coverage_totals(rows),
            "day_from": day_from,
            "day_to": day_to,
            "chart": chart,
            "chart_height": max(200, 36 * len(charted) + 70),
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
        return HttpResponse(form_errors_text(form), status=400)
    manager = _manager(request)
    rows = coverage(
        user=request.user, day_from=day_from, day_to=day_to, manager_id=manager.pk if manager else None
    )
    filters = {"day_from": str(day_from), "day_to": str(day_to)}
    if manager:
        filters["manager"] = manager.pk
    coverage_export_log(user=request.user, filters=filters, row_count=len(rows))
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
