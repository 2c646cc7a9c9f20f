"""Complaint reports: volume by category and by territory per month, deadline attainment, time to resolve
(median and p90), for a period and an org unit, scoped like every other read. Each figure is one GROUP BY."""

import dataclasses
import datetime
import zoneinfo

from django.conf import settings
from django.db.models import (
    Aggregate,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from feedback.complaints.models import Complaint
from feedback.complaints.selectors import complaint_scope
from users.models import OrgUnit, User

REPORT_YEARS = (2000, 2100)  # a period outside these is a typo, not a report


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(f) WITHIN GROUP (ORDER BY expr): works on intervals too."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclasses.dataclass
class ReportFilters:
    date_from: datetime.date
    date_to: datetime.date  # inclusive
    unit: OrgUnit | None = None


def _bounds(filters: ReportFilters):
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    start = datetime.datetime.combine(filters.date_from, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        filters.date_to + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    return start, end


def report_units(*, user: User) -> QuerySet[OrgUnit]:
    """The units a user may pick on the report: their subtree below the company (admin: every unit)."""
    units = OrgUnit.objects.exclude(kind=OrgUnit.Kind.COMPANY)
    if user.is_company_admin:
        return units.order_by("path")
    if not user.org_unit_id:
        return units.none()
    return units.filter(path__startswith=user.org_unit.path).order_by("path")


def report_complaints(*, user: User, filters: ReportFilters) -> QuerySet[Complaint]:
    start, end = _bounds(filters)
    qs = complaint_scope(user=user).filter(opened_at__gte=start, opened_at__lt=end)
    if filters.unit is not None:
        qs = qs.filter(retailer__org_unit__path__startswith=filters.unit.path)
    return qs


def complaint_report(*, user: User, filters: ReportFilters, now: datetime.datetime | None = None) -> dict:
    """Everything the report page draws. Attainment counts a case once its deadline has passed or it was met:
    responded in time = responded at or before the response deadline, over cases responded or past that deadline
    (likewise for resolution). Cases without deadlines (calendar not covered) are left out of attainment."""
    now = now or timezone.now()
    qs = report_complaints(user=user, filters=filters)
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    month = TruncMonth("opened_at", tzinfo=zone)
    by_category = list(
        qs.annotate(month=month)
        .values("month", "category__name")
        .annotate(n=Count("id"))
        .order_by("month", "category__name")
    )
    by_unit = list(
        qs.annotate(month=month)
        .values("month", "retailer__org_unit__name")
        .annotate(n=Count("id"))
        .order_by("month", "retailer__org_unit__name")
    )
    attainment = qs.aggregate(
        total=Count("id"),
        response_counted=Count(
            "id",
            filter=Q(response_due__isnull=False) & (Q(responded_at__isnull=False) | Q(response_due__lt=now)),
        ),
        response_met=Count("id", filter=Q(responded_at__isnull=False, responded_at__lte=F("response_due"))),
        resolution_counted=Count(
            "id",
            filter=Q(resolution_due__isnull=False)
            & (Q(resolved_at__isnull=False) | Q(resolution_due__lt=now)),
        ),
        resolution_met=Count("id", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        rated=Count("id", filter=Q(rating__isnull=False)),
        low_rated=Count("id", filter=Q(rating__lte=Complaint.LOW_RATING_MAX)),
    )
    duration = ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())
    times = qs.filter(resolved_at__isnull=False).aggregate(
        median=PercentileCont(duration, 0.5, output_field=DurationField()),
        p90=PercentileCont(duration, 0.9, output_field=DurationField()),
    )

    def pct(met, due):
        return round(100 * met / due, 1) if due else None

    def hours(value):
        return round(value.total_seconds() / 3600, 1) if value is not None else None

    months = sorted({row["month"] for row in by_category})
    return {
        "months": [m.strftime("%Y-%m") for m in months],
        "by_category": _pivot(by_category, months, "category__name"),
        "by_unit": _pivot(by_unit, months, "retailer__org_unit__name"),
        "attainment": {
            **attainment,
            "response_pct": pct(attainment["response_met"], attainment["response_counted"]),
            "resolution_pct": pct(attainment["resolution_met"], attainment["resolution_counted"]),
        },
        "median_hours": hours(times["median"]),
        "p90_hours": hours(times["p90"]),
    }


def _pivot(rows, months, key) -> dict[str, list[int]]:
    """{series name: [count per month]} for a stacked chart."""
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list[int]] = {}
    for row in rows:
        series.setdefault(row[key] or "—", [0] * len(months))[index[row["month"]]] += row["n"]
    return series


def report_export_rows(*, user: User, filters: ReportFilters):
    """The rows of the CSV export, streamed in id order (chunked iterator, no full load)."""
    return (
        report_complaints(user=user, filters=filters)
        .select_related("retailer__org_unit", "category", "assignee")
        .order_by("id")
        .iterator(chunk_size=2000)
    )


__all__ = [
    "REPORT_YEARS",
    "PercentileCont",
    "ReportFilters",
    "complaint_report",
    "report_export_rows",
    "report_units",
]
