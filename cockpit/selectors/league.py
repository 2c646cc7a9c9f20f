"""League tables: departments and managers ranked by a KPI, from the snapshots."""

import datetime
from dataclasses import dataclass

from cockpit.kpis import KPIS, LEAGUE_KPIS, display, drill_url, value_of
from cockpit.models import KpiSnapshot
from cockpit.periods import period_end
from cockpit.selectors.cockpit import rag, targets_effective
from users.models import OrgUnit, User


@dataclass
class LeagueRow:
    key: int
    name: str
    cells: list[tuple[str, str | None, str]]  # shown value, status, drill URL
    sort_value: float | None


def league_table(
    *, unit: OrgUnit, by: str, period: str, start: datetime.date, kpis=LEAGUE_KPIS, sort: str = "order_rate"
) -> list[LeagueRow]:
    """The unit's departments (its child units) or its customer managers ranked on the same KPIs, best first,
    each cell with its red/amber/green against that unit's target. Two queries."""
    end = period_end(period, start) - datetime.timedelta(days=1)
    if by == "unit":
        owners = {u.pk: u.name for u in OrgUnit.objects.filter(parent=unit).only("name")}
        owner_field = "org_unit_id"
        targets = targets_effective(unit_ids=list(owners), period=period, start=start)
    else:
        owners = {
            u.pk: str(u)
            for u in User.objects.filter(
                role=User.Role.MANAGER, is_active=True, org_unit__path__startswith=unit.path
            ).only("username", "display_name")
        }
        owner_field = "manager_id"
        targets = {}
    values: dict[int, dict[str, float | None]] = {key: {} for key in owners}
    rows = KpiSnapshot.objects.filter(
        **{f"{owner_field}__in": list(owners)}, period=period, period_start=start, kpi__in=kpis
    ).values_list(owner_field, "kpi", "num", "den")
    for owner_id, code, num, den in rows:
        values[owner_id][code] = value_of(num, den)
    table = []
    for owner_id, name in owners.items():
        cells = []
        for code in kpis:
            kpi = KPIS[code]
            value = values[owner_id].get(code)
            who = (
                {"org_unit_id": owner_id, "manager_id": None}
                if by == "unit"
                else {
                    "org_unit_id": None,
                    "manager_id": owner_id,
                }
            )
            cells.append(
                (
                    display(kpi, value),
                    rag(kpi, value, targets.get((owner_id, code))),
                    drill_url(kpi, start=start, end=end, **who),
                )
            )
        table.append(LeagueRow(key=owner_id, name=name, cells=cells, sort_value=values[owner_id].get(sort)))
    higher = KPIS[sort].higher_is_better
    table.sort(key=lambda r: (r.sort_value is None, -(r.sort_value or 0) if higher else (r.sort_value or 0)))
    return table
