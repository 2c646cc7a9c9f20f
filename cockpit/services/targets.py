"""Targets per unit, KPI and period: set, change, end; and the alerts when a KPI crosses into red."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cockpit.kpis import KPIS, display, target_scale
from cockpit.models import KpiAlert, KpiSnapshot, KpiTarget, Notice, Period
from users.models import OrgUnit, User

TARGET_FIELDS = ("org_unit", "kpi", "period", "value", "amber_margin_pct", "starts_on", "ends_on")


def _may_set(*, user: User, org_unit: OrgUnit) -> bool:
    if user.is_company_admin:
        return True
    return (
        user.role == User.Role.SUPERVISOR
        and user.org_unit_id is not None
        and org_unit.path.startswith(user.org_unit.path)
    )


def target_save(*, actor: User, data: dict, target: KpiTarget | None = None) -> KpiTarget:
    """Create a target (or change `target`): a supervisor for their own subtree, an admin anywhere."""
    org_unit = data.get("org_unit") or (target.org_unit if target else None)
    if org_unit is None or not _may_set(user=actor, org_unit=org_unit):
        raise PermissionDenied(_("只能为本单位及下级单位设定目标。"))
    if target is not None and not _may_set(user=actor, org_unit=target.org_unit):
        raise PermissionDenied(_("只能为本单位及下级单位设定目标。"))
    target = target or KpiTarget(created_by=actor)
    for name in TARGET_FIELDS:
        if name in data:
            setattr(target, name, data[name])
    target.full_clean()
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        raise ValidationError(_("该单位、指标和周期在此日期已有目标。")) from exc
    return target


def target_delete(*, actor: User, target: KpiTarget) -> None:
    if not _may_set(user=actor, org_unit=target.org_unit):
        raise PermissionDenied(_("只能为本单位及下级单位设定目标。"))
    target.delete()


def kpi_alerts_check(*, today: datetime.date | None = None) -> dict:
    """Judge every target in force against its unit's last complete period. A KPI in red with no open alert
    opens one (claimed by a unique partial index, so two workers never notify twice) and notifies the unit's
    supervisor in-app and by email; an open alert whose KPI is out of red is closed, so the next crossing
    notifies again. Returns the counts."""
    from cockpit.selectors.cockpit import RED, default_start, rag, targets_effective
    from cockpit.services.notices import notices_create
    from feedback.complaints.selectors import unit_supervisor

    today = today or timezone.localdate()
    counts = {"crossed": 0, "recovered": 0, "still": 0}
    for period in (Period.WEEK, Period.MONTH):
        start = default_start(period, today)
        unit_ids = list(
            KpiTarget.objects.filter(period=period).values_list("org_unit_id", flat=True).distinct()
        )
        targets = targets_effective(unit_ids=unit_ids, period=period, start=start)
        if not targets:
            continue
        values = {
            (unit_id, code): (num, den)
            for unit_id, code, num, den in KpiSnapshot.objects.filter(
                org_unit_id__in=unit_ids, period=period, period_start=start
            ).values_list("org_unit_id", "kpi", "num", "den")
        }
        open_alerts = set(
            KpiAlert.objects.filter(
                recovered_at__isnull=True, target__in=[t.pk for t in targets.values()]
            ).values_list("target_id", flat=True)
        )
        for (unit_id, code), target in targets.items():
            kpi = KPIS[code]
            if (unit_id, code) not in values:
                continue  # no snapshot yet: judge nothing rather than call a missing number red
            num, den = values[(unit_id, code)]
            value = num / den if den else (None if den is not None else float(num))
            red = rag(kpi, value, target) == RED
            if red and target.pk in open_alerts:
                counts["still"] += 1
            elif red:
                if _alert_open(target=target, start=start, value=value):
                    counts["crossed"] += 1
                    unit = target.org_unit
                    supervisor = unit_supervisor(org_unit=unit)
                    notices_create(
                        recipients=[supervisor],
                        kind=Notice.Kind.ALERT,
                        params={
                            "unit": unit.name,
                            "kpi": code,
                            "value": display(kpi, value),
                            "target": display(kpi, float(target.value) * target_scale(kpi)),
                            "period": period,
                            "start": start.isoformat(),
                        },
                        url=_cockpit_url(unit_id=unit.pk, period=period),
                    )
            elif target.pk in open_alerts:
                counts["recovered"] += KpiAlert.objects.filter(
                    target=target, recovered_at__isnull=True
                ).update(recovered_at=timezone.now())
    return counts


def _alert_open(*, target: KpiTarget, start: datetime.date, value: float | None) -> bool:
    try:
        with transaction.atomic():
            KpiAlert.objects.create(target=target, period_start=start, value=value)
    except IntegrityError:
        return False  # another check opened it first
    return True


def _cockpit_url(*, unit_id: int, period: str) -> str:
    from django.urls import reverse

    return reverse("cockpit:cockpit") + f"?unit={unit_id}&period={period}"
