"""客户经营分析月报: one unit's month — the KPIs with the previous month and targets, the league tables, complaints by
category, satisfaction by area and the month's actions — stored as generated, shown as a printable page and
downloaded as XLSX (the same data)."""

import datetime
import tempfile

from django.db import transaction
from django.db.models import Count, F, FloatField, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cockpit.kpis import KPIS, LEAGUE_KPIS, display, target_scale, value_of
from cockpit.models import KpiAlert, KpiSnapshot, MonthlyReport, Notice, Period
from cockpit.periods import aware, label, period_end, quarter_label
from users.models import OrgUnit, User

CHART_KPIS = ("order_rate", "amount", "avg_price")


def monthly_report_generate(
    *, org_unit: OrgUnit, month: datetime.date, actor: User | None = None, notify: bool = False
) -> MonthlyReport:
    """Build (or rebuild) the unit's report for the month from the month's snapshots (refreshed first when the
    month has none) and the month's complaints, survey responses and alerts. With `notify`, the unit's supervisor
    is told once per report: a rebuild of a month already reported (beat run twice, a manual refresh) tells no
    one again."""
    from cockpit.selectors.cockpit import cockpit_get
    from cockpit.selectors.league import league_table
    from cockpit.services.snapshots import kpi_snapshots_refresh
    from feedback.complaints.models import Complaint
    from feedback.surveys.models import SurveyAreaScore

    month = month.replace(day=1)
    if not KpiSnapshot.objects.filter(period=Period.MONTH, period_start=month).exists():
        kpi_snapshots_refresh(period=Period.MONTH, start=month)
    cockpit = cockpit_get(unit=org_unit, period=Period.MONTH, start=month)
    # raw values and codes: labels and formats are applied when read, in the reader's language
    kpis = [
        {
            "kpi": c.kpi.code,
            "value": c.value,
            "previous": c.previous,
            "change": c.change,
            "target": float(c.target.value) * target_scale(c.kpi) if c.target else None,
            "status": c.status or "",
        }
        for c in cockpit.cards
    ]
    charts = {
        "labels": cockpit.labels,
        "series": {code: cockpit.card(code).trend for code in CHART_KPIS},
    }
    leagues = {}
    for by in ("unit", "manager"):
        rows = league_table(unit=org_unit, by=by, period=Period.MONTH, start=month)
        values = _league_values(unit=org_unit, by=by, month=month, keys=[row.key for row in rows])
        leagues[by] = [
            {
                "name": row.name,
                "values": [values.get((row.key, code)) for code in LEAGUE_KPIS],
                "status": [cell[1] or "" for cell in row.cells],
            }
            for row in rows
        ]
    start, end = aware(month), aware(period_end(Period.MONTH, month))
    complaints = (
        Complaint.objects.filter(
            opened_at__gte=start, opened_at__lt=end, retailer__org_unit__path__startswith=org_unit.path
        )
        .values("category__name")
        .annotate(
            n=Count("id"),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            late=Count("id", filter=Q(resolved_at__gt=F("resolution_due"))),
        )
        .order_by("-n", "category__name")
    )
    areas = (
        SurveyAreaScore.objects.filter(
            response__survey__period=quarter_label(month),
            response__retailer__org_unit__path__startswith=org_unit.path,
        )
        .values("area__name")
        .annotate(
            score_sum=Sum(F("score") * F("response__weight"), output_field=FloatField()),
            weight=Sum("response__weight", output_field=FloatField()),
            responses=Count("id"),
        )
        .order_by("area__name")
    )
    alerts = (
        KpiAlert.objects.filter(
            crossed_at__gte=start, crossed_at__lt=end, target__org_unit__path__startswith=org_unit.path
        )
        .select_related("target__org_unit")
        .order_by("crossed_at")
    )
    resolved = Complaint.objects.filter(
        resolved_at__gte=start, resolved_at__lt=end, retailer__org_unit__path__startswith=org_unit.path
    ).count()
    data = {
        "unit": org_unit.name,
        "month": label(Period.MONTH, month),
        "kpis": kpis,
        "charts": charts,
        "league_kpis": list(LEAGUE_KPIS),
        "leagues": leagues,
        "complaints": [
            {"category": r["category__name"], "n": r["n"], "resolved": r["resolved"], "late": r["late"]}
            for r in complaints
        ],
        "satisfaction": [
            {
                "area": r["area__name"],
                "score": round(r["score_sum"] / r["weight"], 1) if r["weight"] else None,
                "responses": r["responses"],
            }
            for r in areas
        ],
        "actions": {
            "alerts": [
                {
                    "unit": a.target.org_unit.name,
                    "kpi": a.target.kpi,
                    "at": timezone.localtime(a.crossed_at).strftime("%Y-%m-%d"),
                    "recovered": bool(a.recovered_at),
                }
                for a in alerts
            ],
            "complaints_resolved": resolved,
        },
    }
    with transaction.atomic():
        report, created = MonthlyReport.objects.update_or_create(
            org_unit=org_unit,
            month=month,
            defaults={"data": data, "generated_at": timezone.now(), "generated_by": actor},
        )
        if notify and created:
            _report_notice(org_unit=org_unit, report=report, month_label=data["month"])
    return report


def _report_notice(*, org_unit: OrgUnit, report: MonthlyReport, month_label: str) -> None:
    from cockpit.services.notices import notices_create
    from feedback.complaints.selectors import unit_supervisor

    notices_create(
        recipients=[unit_supervisor(org_unit=org_unit)],
        kind=Notice.Kind.REPORT,
        params={"unit": org_unit.name, "month": month_label},
        url=reverse("cockpit:report-detail", args=[report.pk]),
    )


def _league_values(*, unit: OrgUnit, by: str, month: datetime.date, keys: list[int]) -> dict:
    owner = "org_unit_id" if by == "unit" else "manager_id"
    rows = KpiSnapshot.objects.filter(
        **{f"{owner}__in": keys}, period=Period.MONTH, period_start=month, kpi__in=LEAGUE_KPIS
    ).values_list(owner, "kpi", "num", "den")
    return {(key, code): value_of(num, den) for key, code, num, den in rows}


def report_view(data: dict) -> dict:
    """The stored report with labels and formatted values in the reader's language (page and XLSX)."""
    kpis = []
    for row in data["kpis"]:
        kpi = KPIS.get(row["kpi"])
        if kpi is None:
            continue
        kpis.append(
            {
                "code": kpi.code,
                "group": str(kpi.group),
                "label": str(kpi.label),
                "value": display(kpi, row["value"]),
                "previous": display(kpi, row["previous"]),
                "change": row["change"],
                "target": display(kpi, row["target"]) if row["target"] is not None else "",
                "status": row["status"],
            }
        )
    league_kpis = [KPIS[code] for code in data["league_kpis"] if code in KPIS]
    leagues = {
        by: [
            {
                "name": row["name"],
                "cells": [display(k, v) for k, v in zip(league_kpis, row["values"], strict=False)],
            }
            for row in rows
        ]
        for by, rows in data["leagues"].items()
    }
    alerts = [
        {**a, "kpi": str(KPIS[a["kpi"]].label) if a["kpi"] in KPIS else a["kpi"]}
        for a in data["actions"]["alerts"]
    ]
    return {
        **data,
        "kpis": kpis,
        "league_labels": [str(k.label) for k in league_kpis],
        "leagues": leagues,
        "actions": {**data["actions"], "alerts": alerts},
    }


def monthly_reports_generate(*, today: datetime.date | None = None) -> int:
    """Beat on the 1st: last month's report of the company and of every county bureau, each supervisor told."""
    today = today or timezone.localdate()
    month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    units = OrgUnit.objects.filter(kind__in=[OrgUnit.Kind.COMPANY, OrgUnit.Kind.COUNTY])
    count = 0
    for unit in units:
        monthly_report_generate(org_unit=unit, month=month, notify=True)
        count += 1
    return count


def monthly_report_xlsx(*, report: MonthlyReport):
    """The report as an XLSX workbook (one sheet per section), in a temporary file ready to send."""
    from openpyxl import Workbook

    from core.spreadsheet import row_safe

    data = report_view(report.data)
    book = Workbook()
    sheet = book.active
    sheet.title = _("指标")
    sheet.append(row_safe([_("客户经营分析月报"), data["unit"], data["month"]]))
    sheet.append(row_safe([_("分类"), _("指标"), _("本月"), _("上月"), _("变化"), _("目标"), _("状态")]))
    status = {"red": _("红"), "amber": _("黄"), "green": _("绿"), "": ""}
    for row in data["kpis"]:
        sheet.append(
            row_safe(
                [
                    row["group"],
                    row["label"],
                    row["value"],
                    row["previous"],
                    row["change"],
                    row["target"],
                    status[row["status"]],
                ]
            )
        )
    for by, title in (("unit", _("部门排名")), ("manager", _("客户经理排名"))):
        league = book.create_sheet(str(title))
        league.append(row_safe([_("排名"), _("名称"), *data["league_labels"]]))
        for rank, row in enumerate(data["leagues"][by], 1):
            league.append(row_safe([rank, row["name"], *row["cells"]]))
    complaints = book.create_sheet(str(_("投诉分类")))
    complaints.append(row_safe([_("类别"), _("件数"), _("已办结"), _("超时办结")]))
    for row in data["complaints"]:
        complaints.append(row_safe([row["category"], row["n"], row["resolved"], row["late"]]))
    satisfaction = book.create_sheet(str(_("满意度")))
    satisfaction.append(row_safe([_("评价领域"), _("得分"), _("样本数")]))
    for row in data["satisfaction"]:
        satisfaction.append(row_safe([row["area"], row["score"], row["responses"]]))
    actions = book.create_sheet(str(_("本月行动")))
    actions.append(row_safe([_("已办结投诉"), data["actions"]["complaints_resolved"]]))
    actions.append(row_safe([_("预警单位"), _("指标"), _("触发日期"), _("已恢复")]))
    for row in data["actions"]["alerts"]:
        actions.append(
            row_safe([row["unit"], row["kpi"], row["at"], _("是") if row["recovered"] else _("否")])
        )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it after sending
    book.save(spool)
    spool.seek(0)
    return spool
