"""A unit's cockpit: its KPIs with the previous period, the trend and the target, and the units a user may open.
Every read is a few indexed queries over KpiSnapshot (kept by beat), never over orders."""

import datetime
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cockpit.kpis import KPIS, Kpi, display, drill_url, target_scale, value_of
from cockpit.models import KpiSnapshot, KpiTarget, Period
from cockpit.periods import label, period_end, period_start, shift, starts
from users.models import OrgUnit, User
from users.selectors import org_units_visible

TREND = 12
RED, AMBER, GREEN = "red", "amber", "green"


def cockpit_units(*, user: User) -> QuerySet[OrgUnit]:
    """The units a user may open the cockpit of: their subtree (admin: every unit)."""
    if user.role not in (User.Role.SUPERVISOR, User.Role.ADMIN) and not user.is_company_admin:
        return OrgUnit.objects.none()
    return org_units_visible(user=user).order_by("path")


def cockpit_unit(*, user: User, unit_id: int | str | None = None) -> OrgUnit:
    """The unit asked for if the user may see it (404 otherwise); by default the user's own unit, or the
    company for an admin without one."""
    units = cockpit_units(user=user)
    if unit_id not in (None, ""):
        try:
            return units.get(pk=int(unit_id))
        except (OrgUnit.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404 from exc
    if user.org_unit_id and user.role in (User.Role.SUPERVISOR, User.Role.ADMIN):
        return OrgUnit.objects.get(pk=user.org_unit_id)  # the root of the user's own subtree
    unit = units.filter(parent__isnull=True).first() or units.first()
    if unit is None:
        raise Http404
    return unit


def default_start(period: str, today: datetime.date | None = None) -> datetime.date:
    """The last complete period: what the cockpit opens on and what alerts judge (a week half gone by would
    read red every Monday)."""
    today = today or timezone.localdate()
    return shift(period, period_start(period, today), -1)


def rag(kpi: Kpi, value: float | None, target: KpiTarget | None) -> str | None:
    """Red/amber/green of a value against a target: green at or beyond it, amber short of it by at most the
    amber margin (a share of the target), red beyond that. None without a target or a value."""
    if target is None or value is None:
        return None
    goal = float(target.value) * target_scale(kpi)
    margin = abs(goal) * target.amber_margin_pct / 100
    short = (goal - value) if kpi.higher_is_better else (value - goal)
    short -= 1e-9 * max(1.0, abs(goal))  # 0.80 − 0.76 is 0.04000000000000004 in floating point
    if short <= 0:
        return GREEN
    if short <= margin:
        return AMBER
    return RED


def targets_effective(
    *, unit_ids: list[int], period: str, start: datetime.date
) -> dict[tuple[int, str], KpiTarget]:
    """(unit id, kpi) -> the target in force for the period starting at `start` (the latest started)."""
    rows = (
        KpiTarget.objects.filter(
            org_unit_id__in=unit_ids, period=period, starts_on__lte=period_end(period, start)
        )
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=start))
        .order_by("org_unit_id", "kpi", "-starts_on", "-id")
    )
    found = {}
    for target in rows:
        found.setdefault((target.org_unit_id, target.kpi), target)
    return found


@dataclass
class KpiCard:
    kpi: Kpi
    value: float | None
    previous: float | None
    trend: list[float | None]
    target: KpiTarget | None
    status: str | None
    url: str
    num: int = 0
    den: int | None = None
    extra: dict = field(default_factory=dict)

    @property
    def shown(self) -> str:
        if self.value is None and self.extra.get("short"):
            return _("样本不足")  # 活动增量: campaigns measured, none with both groups large enough
        return display(self.kpi, self.value)

    @property
    def extra_text(self) -> str:
        """活动增量: the sizes of the groups behind the value (or of those too small to give one)."""
        if self.kpi.code != "campaign_uplift" or not self.extra:
            return ""
        counted = self.extra.get("campaigns", 0)
        short = self.extra.get("short", 0)
        if not counted and not short:
            return ""
        treated, holdout = (
            (self.extra.get("treated", 0), self.extra.get("holdout", 0))
            if counted
            else (self.extra.get("short_treated", 0), self.extra.get("short_holdout", 0))
        )
        text = _("发送组 %(t)s · 对照组 %(h)s") % {"t": f"{treated:,}", "h": f"{holdout:,}"}
        if counted and short:
            text += " · " + ngettext("另 %(n)s 个活动样本不足", "另 %(n)s 个活动样本不足", short) % {
                "n": short
            }
        return text

    @property
    def previous_shown(self) -> str:
        return display(self.kpi, self.previous)

    @property
    def target_shown(self) -> str:
        if self.target is None:
            return ""
        return display(self.kpi, float(self.target.value) * target_scale(self.kpi))

    @property
    def change(self) -> float | None:
        """The change against the previous period: points for a rate, percent otherwise."""
        if self.value is None or self.previous is None:
            return None
        if self.kpi.is_rate:
            return round((self.value - self.previous) * 100, 1)
        if not self.previous:
            return None
        return round((self.value - self.previous) / abs(self.previous) * 100, 1)

    @property
    def change_good(self) -> bool | None:
        if not self.change:
            return None
        return (self.change > 0) == self.kpi.higher_is_better


@dataclass
class Cockpit:
    unit: OrgUnit
    period: str
    start: datetime.date
    end: datetime.date
    labels: list[str]
    cards: list[KpiCard]
    computed_at: datetime.datetime | None
    groups: list[tuple[str, list[KpiCard]]] = field(default_factory=list)

    @property
    def red(self) -> list[KpiCard]:
        return [c for c in self.cards if c.status == RED]

    def card(self, code: str) -> KpiCard:
        return next(c for c in self.cards if c.kpi.code == code)


def cockpit_get(*, unit: OrgUnit, period: str = Period.WEEK, start: datetime.date | None = None) -> Cockpit:
    """One unit's KPIs for one period: value, previous, the 12-period trend, target and status. Two queries."""
    start = period_start(period, start) if start else default_start(period)
    periods = starts(period, start, TREND + 1)
    rows = KpiSnapshot.objects.filter(org_unit=unit, period=period, period_start__in=periods).values_list(
        "kpi", "period_start", "num", "den", "extra", "computed_at"
    )
    series: dict[str, dict] = {}
    extras: dict[str, dict] = {}
    computed_at = None
    for code, day, num, den, extra, at in rows:
        series.setdefault(code, {})[day] = (num, den)
        if day == start:
            extras[code] = extra or {}
            computed_at = max(computed_at, at) if computed_at else at
    targets = targets_effective(unit_ids=[unit.pk], period=period, start=start)
    end = period_end(period, start) - datetime.timedelta(days=1)
    cards = []
    for code, kpi in KPIS.items():
        points = series.get(code, {})
        num, den = points.get(start, (0, None))
        value = value_of(*points[start]) if start in points else None
        previous_start = periods[-2]
        previous = value_of(*points[previous_start]) if previous_start in points else None
        target = targets.get((unit.pk, code))
        cards.append(
            KpiCard(
                kpi=kpi,
                value=value,
                previous=previous,
                trend=[value_of(*points[d]) if d in points else None for d in periods[1:]],
                target=target,
                status=rag(kpi, value, target),
                url=drill_url(kpi, org_unit_id=unit.pk, manager_id=None, start=start, end=end),
                num=num,
                den=den,
                extra=extras.get(code, {}),
            )
        )
    groups: dict[str, list[KpiCard]] = {}
    for card in cards:
        groups.setdefault(str(card.kpi.group), []).append(card)
    return Cockpit(
        unit=unit,
        period=period,
        start=start,
        end=end,
        labels=[label(period, d) for d in periods[1:]],
        cards=cards,
        computed_at=computed_at,
        groups=list(groups.items()),
    )


def shift_start(period: str, start: datetime.date, n: int) -> datetime.date:
    return shift(period, start, n)
