"""The complaint report: charts, and the audited CSV export."""

import datetime

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core.replica import reads_from_replica
from core.spreadsheet import csv_stream_response
from feedback.complaints.reports.selectors import (
    REPORT_YEARS,
    ReportFilters,
    complaint_report,
    report_export_rows,
    report_units,
)
from feedback.complaints.services.exports import complaint_export_count_set, complaint_export_log
from users.models import OrgUnit

DEFAULT_REPORT_DAYS = 180


def _report_filters(request) -> tuple[ReportFilters, dict]:
    """Period and unit from the query (defaults: the last 180 days, the whole scope). Bad dates fall back to the
    defaults and say so."""
    today = timezone.localdate()
    problems = []

    def day(name, default):
        raw = request.GET.get(name, "")
        if not raw:
            return default
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            problems.append(_("日期格式应为 YYYY-MM-DD：%(v)s") % {"v": raw})
            return default

    date_from = day("from", today - datetime.timedelta(days=DEFAULT_REPORT_DAYS))
    date_to = day("to", today)
    if date_from > date_to:
        problems.append(_("开始日期晚于结束日期，已对调。"))
        date_from, date_to = date_to, date_from
    if not (REPORT_YEARS[0] <= date_from.year and date_to.year <= REPORT_YEARS[1]):
        problems.append(
            _("日期超出范围（%(a)s–%(b)s 年），已改为最近 180 天。")
            % {"a": REPORT_YEARS[0], "b": REPORT_YEARS[1]}
        )
        date_from, date_to = today - datetime.timedelta(days=DEFAULT_REPORT_DAYS), today
    unit = None
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        unit = get_object_or_404(OrgUnit, pk=int(unit_id))
    raw = {"from": date_from.isoformat(), "to": date_to.isoformat(), "unit": unit.pk if unit else ""}
    return ReportFilters(date_from=date_from, date_to=date_to, unit=unit), {"raw": raw, "problems": problems}


@login_required
@permission_required("feedback.view_complaint", raise_exception=True)
@require_GET
@reads_from_replica
def complaint_report_view(request):
    filters, extra = _report_filters(request)
    report = complaint_report(user=request.user, filters=filters)
    chart = {
        "months": report["months"],
        "by_category": report["by_category"],
        "by_unit": report["by_unit"],
    }
    context = {
        "report": report,
        "chart": chart,
        "filters": extra["raw"],
        "problems": extra["problems"],
        "units": report_units(user=request.user),
    }
    return render(request, "feedback/complaint_report.html", context)


EXPORT_HEADER = [
    "编号",
    "受理时间",
    "客户编码",
    "店铺名称",
    "营销部",
    "类别",
    "渠道",
    "优先级",
    "状态",
    "处理人",
    "响应截止",
    "响应时间",
    "按时响应",
    "办结截止",
    "解决时间",
    "按时办结",
    "满意度",
]


def _fmt(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _in_time(done, due):
    if not due or not done:
        return ""
    return "是" if done <= due else "否"


@login_required
@permission_required("feedback.export_complaint", raise_exception=True)
@require_GET
@reads_from_replica
def complaint_export_view(request):
    """The report's complaints as CSV (UTF-8 with BOM for Excel), streamed, and logged (who, filter, rows)."""
    filters, extra = _report_filters(request)
    if extra["problems"]:
        return HttpResponse(" ".join(extra["problems"]), status=400, content_type="text/plain; charset=utf-8")
    export = complaint_export_log(user=request.user, filters=extra["raw"])

    def rows():
        count = 0
        for c in report_export_rows(user=request.user, filters=filters):
            count += 1
            yield [
                c.pk,
                _fmt(c.opened_at),
                c.retailer.customer_code,
                c.retailer.shop_name,
                c.retailer.org_unit.name,
                c.category.name,
                c.get_channel_display(),
                c.get_priority_display(),
                c.get_status_display(),
                str(c.assignee or ""),
                _fmt(c.response_due),
                _fmt(c.responded_at),
                _in_time(c.responded_at, c.response_due),
                _fmt(c.resolution_due),
                _fmt(c.resolved_at),
                _in_time(c.resolved_at, c.resolution_due),
                c.rating or "",
            ]
        complaint_export_count_set(export=export, row_count=count)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_stream_response(EXPORT_HEADER, rows(), filename=f"complaints-{stamp}-{export.pk}.csv")
