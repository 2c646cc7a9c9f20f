"""The tier what-if (档位试算): other weights or tier counts, graded by the engine's own SELECT
(tiers.grading.tier_scored_sql) for the user's territory and period, compared before anything is published.

One statement grades the territory twice (the current rule and the what-if) into a temporary table; the from→to
matrix, the moves and each scarce brand's total allowance are then grouped queries over it — no loop over
retailers. "From" is either the tier each retailer has today (baseline "current") or the tier the current rule
would give for the same period (baseline "rule": the weights' own effect). The allowance totals use the allocation
rules of the coming cycle's plans (sales.allocation.selectors.allowance_sql) with the "from" and the "to" tiers in
place of the retailers' own; retailers outside the user's territory keep their tier.
"""

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sales.allocation import selectors as allocation_selectors
from sales.allocation.models import AllocationPlan
from segmentation.tiers.grading import tier_period, tier_rule_current, tier_scored_sql
from segmentation.tiers.models import TIER_COUNT, TierRule
from segmentation.tiers.services import tier_proposal_may_create
from users.models import User

BASELINE_CURRENT = "current"
BASELINE_RULE = "rule"
BASELINES = (BASELINE_CURRENT, BASELINE_RULE)

_TEMP = "segmentation_tier_whatif"


@dataclasses.dataclass
class WhatIf:
    parameters: dict
    rule_parameters: dict
    baseline: str
    period_start: object
    period_end: object
    retailers: int = 0
    moved: int = 0
    up: int = 0
    down: int = 0
    mean_shift: float = 0.0  # mean |to − from| over the retailers that move
    max_shift: int = 0
    matrix: list = dataclasses.field(default_factory=list)  # [(from or None, to, n)] largest first
    shifts: list = dataclasses.field(default_factory=list)  # [(to − from, n)] by shift
    allowances: list = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def tier_whatif_may_run(*, user: User) -> bool:
    return tier_proposal_may_create(user=user)


def _parameters(*, weights: dict | None, tier_shares: list | None) -> tuple[dict, dict]:
    rule = tier_rule_current()
    current = rule.as_parameters()
    alt = TierRule(**current)
    for name in ("weight_cartons", "weight_amount", "weight_avg_price"):
        if weights and weights.get(name) is not None:
            setattr(alt, name, weights[name])
    if tier_shares is not None:
        alt.tier_shares = tier_shares
    alt.full_clean()
    return current, alt.as_parameters()


def tier_whatif(
    *,
    user: User,
    weights: dict | None = None,
    tier_shares: list | None = None,
    baseline: str = BASELINE_CURRENT,
    period_end=None,
) -> WhatIf:
    """Grade the user's territory with other weights and/or tier counts and say what would move. Writes nothing
    that outlives the transaction. PermissionDenied for users who may not generate proposals; ValidationError for
    weights that do not sum to 100 or a share table that is not 30 non-negative numbers."""
    if not tier_whatif_may_run(user=user):
        raise PermissionDenied(_("您没有试算档位方案的权限。"))
    if baseline not in BASELINES:
        raise ValidationError({"baseline": _("对比基准只能是现档位或现行规则。")})
    current, parameters = _parameters(weights=weights, tier_shares=tier_shares)
    start, end = tier_period(period=current["period"], period_end=period_end)
    result = WhatIf(
        parameters=parameters,
        rule_parameters=current,
        baseline=baseline,
        period_start=start,
        period_end=end,
    )
    base_sql, base_params = tier_scored_sql(user=user, parameters=current, start=start, end=end)
    alt_sql, alt_params = tier_scored_sql(user=user, parameters=parameters, start=start, end=end)
    from_col = "current_tier" if baseline == BASELINE_CURRENT else "rule_tier"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMP}")
        cursor.execute(
            f"CREATE TEMP TABLE {_TEMP} ON COMMIT DROP AS "  # noqa: S608 — fixed names, parameters bound
            f"SELECT b.retailer_id, b.current_tier, b.tier AS rule_tier, a.tier AS new_tier "
            f"FROM ({base_sql}) b JOIN ({alt_sql}) a USING (retailer_id)",
            [*base_params, *alt_params],
        )
        cursor.execute(
            f"SELECT {from_col}, new_tier, count(*) FROM {_TEMP} "  # noqa: S608
            "GROUP BY 1, 2 ORDER BY 3 DESC, 1 DESC NULLS LAST, 2 DESC"
        )
        result.matrix = [(f, t, n) for f, t, n in cursor.fetchall()]
        result.allowances = _allowances(cursor=cursor, user=user, from_col=from_col)
    shifts: dict[int, int] = {}
    for f, t, n in result.matrix:
        result.retailers += n
        if f is None or f == t:
            if f is None:
                result.moved += n
            continue
        result.moved += n
        result.up += n if t > f else 0
        result.down += n if t < f else 0
        shifts[t - f] = shifts.get(t - f, 0) + n
    result.shifts = sorted(shifts.items())
    moved_known = sum(shifts.values())
    result.mean_shift = (
        round(sum(abs(d) * n for d, n in shifts.items()) / moved_known, 2) if moved_known else 0.0
    )
    result.max_shift = max((abs(d) for d in shifts), default=0)
    return result


def _allowances(*, cursor, user: User, from_col: str) -> list[dict]:
    """Each coming-cycle plan's total allowance with the "from" and the "to" tiers, against its supply."""
    day = allocation_selectors.coming_cycle_day(timezone.localdate())
    plans = list(
        allocation_selectors.allocation_plan_list(user=user, filters={"cycle": day}).exclude(
            state=AllocationPlan.State.SUPERSEDED
        )
    )
    if not plans:
        return []
    join = f"LEFT JOIN {_TEMP} w ON w.retailer_id = r.id"
    totals = {}
    for key, tier_sql in (
        ("from", "r.tier" if from_col == "current_tier" else "coalesce(w.rule_tier, r.tier)"),
        ("to", "coalesce(w.new_tier, r.tier)"),
    ):
        source = allocation_selectors.allowance_sql(tier_sql=tier_sql, tier_join=join)
        cursor.execute(
            f"SELECT plan_id, sum(cartons) FROM ({source}) a GROUP BY plan_id",  # noqa: S608
            [[p.pk for p in plans]],
        )
        totals[key] = {plan_id: int(total or 0) for plan_id, total in cursor.fetchall()}
    rows = []
    for plan in plans:
        before, after = totals["from"].get(plan.pk, 0), totals["to"].get(plan.pk, 0)
        supply = plan.supply_cartons
        rows.append(
            {
                "plan": plan.pk,
                "product": str(plan.product.name),
                "unit": str(plan.org_unit),
                "state": plan.state,
                "supply": supply,
                "total_from": before,
                "total_to": after,
                "change": after - before,
                "share_from": round(100 * before / supply) if supply else None,
                "share_to": round(100 * after / supply) if supply else None,
                "over": after > supply,
            }
        )
    return rows


def tier_shares_parse(text: str) -> list:
    """30 numbers separated by commas, spaces or new lines (tier 1 first), as the rule stores them."""
    parts = [p for p in text.replace("，", ",").replace("\n", ",").replace(" ", ",").split(",") if p.strip()]
    try:
        numbers = [float(p) if "." in p else int(p) for p in parts]
    except ValueError:
        raise ValidationError({"tier_shares": _("请填写 30 个非负数（第 1 档在前），用逗号分隔。")}) from None
    if len(numbers) != TIER_COUNT:
        raise ValidationError({"tier_shares": _("请填写 30 个非负数（第 1 档在前），用逗号分隔。")})
    return numbers
