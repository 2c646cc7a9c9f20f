"""Reads of allocation (货源投放): each retailer's allowance and why, a plan's preview against the supply, fill
rate and excess. Allowances are computed in SQL for a whole unit at once (never a query per retailer)."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import queryset_sql
from sales.allocation.models import AllocationExcess, AllocationPlan, AllocationRule
from users.models import User

# Why a retailer gets what it gets. 'ok' means a rule row applied (its limit may still be 0).
REASON_OK = "ok"
REASON_EXPIRED = "expired"
REASON_NO_TIER = "no_tier"
REASON_NO_RULE = "no_rule"
REASON_EXPIRES_IN_CYCLE = "expires_in_cycle"
REASON_ACCOUNT_SUSPENDED = "account_suspended"

# One row per (plan, eligible retailer): the active or suspended (held at 0 with the reason), unmerged retailers of
# the plan's unit subtree, the rule row
# matching their tier and market type, and the limit (0 with the licence status as reason when the licence is not
# valid or expires before the cycle starts). A licence expiring inside the cycle gets, by the setting
# ALLOCATION_EXPIRING_LICENCE, the part of the limit for the days before expiry ("prorate": floor(limit ×
# valid days ÷ cycle days)) or nothing ("none"), with the reason 'expires_in_cycle'. {where} narrows the retailers;
# parameters: plan ids, then {where}'s. Use allowance_sql(), which fills in the setting.
ALLOWANCE_SQL = """
SELECT pl.id AS plan_id, pl.product_id, r.id AS retailer_id, {tier} AS tier, r.market_type, ru.id AS rule_id,
       CASE WHEN r.licence_status <> 'valid' THEN r.licence_status
            WHEN r.status = 'suspended' THEN 'account_suspended'
            WHEN r.licence_expires_on < pl.cycle_start THEN 'expired'
            WHEN {tier} IS NULL THEN 'no_tier'
            WHEN ru.id IS NULL THEN 'no_rule'
            WHEN r.licence_expires_on < pl.cycle_end THEN 'expires_in_cycle'
            ELSE 'ok' END AS reason,
       CASE WHEN r.licence_status <> 'valid' OR r.status = 'suspended' OR r.licence_expires_on < pl.cycle_start
            THEN 0
            WHEN r.licence_expires_on < pl.cycle_end THEN
              CASE WHEN {prorate} THEN coalesce(ru.cartons, 0) * (r.licence_expires_on - pl.cycle_start + 1)
                                       / (pl.cycle_end - pl.cycle_start + 1)
                   ELSE 0 END
            ELSE coalesce(ru.cartons, 0) END AS cartons
FROM sales_allocationplan pl
JOIN users_orgunit pu ON pu.id = pl.org_unit_id
JOIN users_orgunit u ON u.path LIKE pu.path || '%%'
JOIN accounts_retailer r ON r.org_unit_id = u.id AND r.status IN ('active', 'suspended') AND r.merged_into_id IS NULL
{tier_join}
LEFT JOIN sales_allocationrule ru ON ru.plan_id = pl.id AND ru.market_type = r.market_type
     AND {tier} BETWEEN ru.tier_from AND ru.tier_to
WHERE pl.id = ANY(%s) {where}
"""


def allowance_sql(where: str = "", *, tier_sql: str = "r.tier", tier_join: str = "") -> str:
    """ALLOWANCE_SQL with the setting filled in. `tier_sql`/`tier_join` put another tier in place of the retailer's
    own (the tier what-if: a joined table of proposed tiers); without them, the tier the retailer has."""
    prorate = "true" if settings.ALLOCATION_EXPIRING_LICENCE == "prorate" else "false"
    return ALLOWANCE_SQL.format(where=where, prorate=prorate, tier=tier_sql, tier_join=tier_join)


# The same columns for published (and superseded) plans, from what was frozen at publication: a locked plan never
# follows later changes of retailers, tiers or licences (AllocationAllowance).
FROZEN_SQL = """
SELECT a.plan_id, pl.product_id, a.retailer_id, a.tier, a.market_type, a.rule_id, a.reason, a.cartons
FROM sales_allocationallowance a
JOIN sales_allocationplan pl ON pl.id = a.plan_id
JOIN accounts_retailer r ON r.id = a.retailer_id
WHERE a.plan_id = ANY(%s) {where}
"""


def _blocked_label(reason: str) -> str:
    labels = {
        Retailer.LicenceStatus.SUSPENDED: _("许可证暂停"),
        Retailer.LicenceStatus.REVOKED: _("许可证已吊销"),
        Retailer.LicenceStatus.CLOSED: _("已歇业"),
        REASON_EXPIRED: _("许可证已过期"),
        REASON_NO_TIER: _("尚未定档"),
        REASON_NO_RULE: _("无对应档位规则"),
        REASON_EXPIRES_IN_CYCLE: _("许可证在周期内到期"),
        REASON_ACCOUNT_SUSPENDED: _("客户已暂停"),
    }
    return str(labels.get(reason, reason))


def cycle_unit(plan: AllocationPlan) -> str:
    return _("每周") if (plan.cycle_end - plan.cycle_start).days == 6 else _("本周期")


# ---- plans ----------------------------------------------------------------------------------------------------
def plan_visible_q(*, user: User) -> Q:
    """Plans of the user's unit, of units above it (they apply to its retailers) and of units below it; drafts
    only for those who plan (a customer manager never quotes a number that is not yet in force)."""
    if user.is_company_admin:
        return Q()
    if not user.org_unit_id:
        return Q(pk__in=[])
    path = user.org_unit.path
    ancestors = [f"/{'/'.join(path.strip('/').split('/')[:n])}/" for n in range(1, path.count("/"))]
    visible = Q(org_unit__path__startswith=path) | Q(org_unit__path__in=ancestors)
    if not user.has_perm("sales.add_allocationplan"):
        visible &= ~Q(state=AllocationPlan.State.DRAFT)
    return visible


def allocation_plan_list(*, user: User, filters: dict | None = None) -> QuerySet[AllocationPlan]:
    filters = filters or {}
    qs = AllocationPlan.objects.filter(plan_visible_q(user=user)).select_related(
        "product", "org_unit", "created_by", "published_by"
    )
    if filters.get("state") in AllocationPlan.State.values:
        qs = qs.filter(state=filters["state"])
    if str(filters.get("product") or "").isdigit():
        qs = qs.filter(product_id=int(filters["product"]))
    if filters.get("cycle"):
        qs = qs.filter(cycle_start__lte=filters["cycle"], cycle_end__gte=filters["cycle"])
    return qs.order_by("-cycle_start", "product__brand", "product__name", "-version", "-id")


def allocation_plan_get(*, user: User, plan_id: int) -> AllocationPlan:
    qs = AllocationPlan.objects.filter(plan_visible_q(user=user)).select_related("product", "org_unit")
    return get_object_or_404(qs, pk=plan_id)


def allocation_plan_history(*, plan: AllocationPlan) -> QuerySet[AllocationPlan]:
    """Every version of this plan's product, unit and cycle, newest first."""
    return (
        AllocationPlan.objects.filter(
            product_id=plan.product_id, org_unit_id=plan.org_unit_id, cycle_start=plan.cycle_start
        )
        .select_related("created_by", "published_by")
        .order_by("-version")
    )


def allocation_preview(*, plan: AllocationPlan, live: bool | None = None) -> dict:
    """Total allowance of the plan's unit (Σ over eligible retailers of their limit) against the supply, with the
    breakdown by rule row and the retailers held at 0 and why. Two grouped queries over the whole unit. A draft is
    computed from today's retailers (`live`); a published or superseded plan reads what was frozen at publication,
    so it shows the published figures whatever changed since (allocation_plan_drift says what did)."""
    if live is None:
        live = plan.state == AllocationPlan.State.DRAFT
    source = allowance_sql() if live else FROZEN_SQL.format(where="")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rule_id, count(*), sum(cartons) FROM ({source}) a "  # noqa: S608
            "WHERE reason = 'ok' GROUP BY rule_id",
            [[plan.pk]],
        )
        by_rule = {rule_id: (n, total) for rule_id, n, total in cursor.fetchall()}
        cursor.execute(
            f"SELECT reason, count(*), sum(cartons) FROM ({source}) a "  # noqa: S608
            "WHERE reason <> 'ok' GROUP BY reason ORDER BY reason",
            [[plan.pk]],
        )
        blocked = [
            {"reason": r, "label": _blocked_label(r), "retailers": n, "cartons": int(c or 0)}
            for r, n, c in cursor.fetchall()
        ]
    rows = []
    for rule in plan.rules.order_by("market_type", "-tier_to"):
        n, total = by_rule.get(rule.pk, (0, 0))
        rows.append(
            {
                "rule": rule,
                "tier_label": rule.tier_label,
                "market_type": rule.get_market_type_display(),
                "cartons": rule.cartons,
                "retailers": n,
                "total": int(total or 0),
            }
        )
    # a licence expiring inside the cycle gets part of its limit (or none): listed with its reason, counted in total
    total = sum(r["total"] for r in rows) + sum(b["cartons"] for b in blocked)
    return {
        "rows": rows,
        "blocked": blocked,
        "retailers": sum(r["retailers"] for r in rows),
        "allowed_retailers": sum(r["retailers"] for r in rows if r["cartons"] > 0)
        + sum(b["retailers"] for b in blocked if b["cartons"] > 0),
        "total": total,
        "supply": plan.supply_cartons,
        "over": total > plan.supply_cartons,
        "share": round(100 * total / plan.supply_cartons) if plan.supply_cartons else None,
        "frozen": not live,
    }


def allocation_plan_drift(*, plan: AllocationPlan) -> dict | None:
    """For a locked plan: how today's retailers differ from what it froze — retailers now eligible that it does not
    hold (added since), ones it holds that are no longer eligible, ones whose limit or reason would now differ, and
    what the total would be today. None for a draft (it is computed live anyway). A new version takes these in."""
    if plan.state == AllocationPlan.State.DRAFT:
        return None
    sql = f"""
        WITH l AS ({allowance_sql()}),
        f AS (SELECT retailer_id, reason, cartons FROM sales_allocationallowance WHERE plan_id = %s)
        SELECT count(*) FILTER (WHERE f.retailer_id IS NULL),
               count(*) FILTER (WHERE l.retailer_id IS NULL),
               count(*) FILTER (WHERE l.retailer_id IS NOT NULL AND f.retailer_id IS NOT NULL
                                AND (l.reason, l.cartons) IS DISTINCT FROM (f.reason, f.cartons)),
               coalesce(sum(l.cartons), 0)
        FROM l FULL JOIN f ON f.retailer_id = l.retailer_id
    """  # noqa: S608 - constant SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, [[plan.pk], plan.pk])
        added, gone, changed, today_total = cursor.fetchone()
    return {
        "added": added,
        "gone": gone,
        "changed": changed,
        "today_total": int(today_total),
        "any": bool(added or gone or changed),
    }


# ---- a retailer's allowance -----------------------------------------------------------------------------------
@dataclass
class Allowance:
    plan: AllocationPlan
    cartons: int
    reason: str
    rule: AllocationRule | None
    tier: int | None
    market_type: str

    @property
    def product_name(self) -> str:
        return self.plan.product.name

    @property
    def explanation(self) -> str:
        """'档位 24 · 城镇 → 每周 2 条', or why it is 0."""
        market = Retailer.MarketType(self.market_type).label
        if self.reason == REASON_OK:
            return _("档位 %(tier)s · %(market)s → %(unit)s %(n)s 条") % {
                "tier": self.tier,
                "market": market,
                "unit": cycle_unit(self.plan),
                "n": self.cartons,
            }
        if self.reason == REASON_EXPIRES_IN_CYCLE:
            if self.cartons:
                return _("档位 %(tier)s · %(market)s，许可证在周期内到期，只按到期前的天数 → %(n)s 条") % {
                    "tier": self.tier,
                    "market": market,
                    "n": self.cartons,
                }
            return _("许可证在周期内到期 → 0 条")
        if self.reason == REASON_NO_RULE:
            return _("档位 %(tier)s · %(market)s 无对应规则 → 0 条") % {"tier": self.tier, "market": market}
        return _("%(why)s → 0 条") % {"why": _blocked_label(self.reason)}


def published_plans_on(*, day: datetime.date) -> QuerySet[AllocationPlan]:
    return AllocationPlan.objects.filter(
        state=AllocationPlan.State.PUBLISHED, cycle_start__lte=day, cycle_end__gte=day
    )


def retailer_allowances(*, retailer_ids: list[int], day: datetime.date) -> dict[int, list[Allowance]]:
    """Each retailer's allowance in every plan published for the cycle containing `day`, one query for all."""
    plans = {p.pk: p for p in published_plans_on(day=day).select_related("product")}
    result: dict[int, list[Allowance]] = {rid: [] for rid in retailer_ids}
    if not plans or not retailer_ids:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            FROZEN_SQL.format(where="AND r.id = ANY(%s)"), [list(plans), [int(r) for r in retailer_ids]]
        )
        rows = cursor.fetchall()
    rules = AllocationRule.objects.in_bulk({row[5] for row in rows if row[5]})
    for plan_id, _product, rid, tier, market, rule_id, reason, cartons in rows:
        result[rid].append(
            Allowance(
                plan=plans[plan_id],
                cartons=cartons,
                reason=reason,
                rule=rules.get(rule_id),
                tier=tier,
                market_type=market,
            )
        )
    for items in result.values():
        items.sort(key=lambda a: (-a.cartons, a.product_name))
    return result


def coming_cycle_day(today: datetime.date | None = None) -> datetime.date:
    """The day the weekly supply notice speaks about: today on a Monday, otherwise the next Monday."""
    today = today or timezone.localdate()
    return today + datetime.timedelta(days=(7 - today.weekday()) % 7)


def allowance_texts(*, retailer_ids: list[int], day: datetime.date) -> dict[int, str]:
    """'黄鹤楼（软蓝） 2条、中华（硬） 1条' per retailer: its non-zero allowances of the cycle containing `day`."""
    allowances = retailer_allowances(retailer_ids=retailer_ids, day=day)
    return {
        rid: "、".join(f"{a.product_name} {a.cartons}条" for a in items if a.cartons > 0)
        for rid, items in allowances.items()
    }


def retailers_with_allowance(*, day: datetime.date) -> QuerySet[Retailer]:
    """Retailers with a non-zero allowance in a plan published for the cycle containing `day`."""
    plan_ids = list(published_plans_on(day=day).values_list("pk", flat=True))
    if not plan_ids:
        return Retailer.objects.none()
    sql = f"SELECT retailer_id FROM ({FROZEN_SQL.format(where='')}) a WHERE cartons > 0"  # noqa: S608
    return Retailer.objects.filter(pk__in=RawSQL(sql, [plan_ids]))  # noqa: S611 - constant SQL


# ---- fill rate and excess -------------------------------------------------------------------------------------
def allocation_fill_rate(*, user: User, day: datetime.date, product_id: int | None = None) -> dict:
    """For the plans published for the cycle containing `day`, per product and tier over the user's retailers:
    retailers, allowed cartons, ordered cartons, the part of it within the limit, excess, and fill rate =
    within-limit ordered ÷ allowed (excess is reported beside it, not counted as filled)."""
    plans = published_plans_on(day=day).select_related("product")
    if product_id:
        plans = plans.filter(product_id=product_id)
    plans = {p.pk: p for p in plans}
    if not plans:
        return {"rows": [], "products": [], "totals": None}
    scope_sql, scope_params = queryset_sql(retailer_scope(user=user).values("pk"))
    sql = f"""
        WITH a AS ({FROZEN_SQL.format(where="AND r.id IN (" + scope_sql + ")")}),
        o AS (
          SELECT pl.id AS plan_id, o.retailer_id, sum(l.cartons) AS cartons
          FROM sales_allocationplan pl
          JOIN sales_order o ON o.ordered_on BETWEEN pl.cycle_start AND pl.cycle_end
          JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on AND l.product_id = pl.product_id
          WHERE pl.id = ANY(%s)
          GROUP BY pl.id, o.retailer_id
        )
        SELECT a.plan_id, a.tier, count(*), sum(a.cartons), sum(coalesce(o.cartons, 0)),
               sum(least(coalesce(o.cartons, 0), a.cartons)), sum(greatest(coalesce(o.cartons, 0) - a.cartons, 0))
        FROM a LEFT JOIN o ON o.plan_id = a.plan_id AND o.retailer_id = a.retailer_id
        GROUP BY a.plan_id, a.tier
        ORDER BY a.plan_id, a.tier DESC NULLS LAST
    """  # noqa: S608 - the scope SQL is Django's own compilation, parameters stay parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(plans), *scope_params, list(plans)])
        raw = cursor.fetchall()
    rows = []
    for plan_id, tier, n, allowed, ordered, filled, excess in raw:
        rows.append(
            {
                "plan": plans[plan_id],
                "product": plans[plan_id].product.name,
                "tier": tier,
                "retailers": n,
                "allowed": int(allowed),
                "ordered": int(ordered),
                "filled": int(filled),
                "excess": int(excess),
                "rate": round(100 * filled / allowed, 1) if allowed else None,
            }
        )
    products = {}
    for row in rows:
        p = products.setdefault(
            row["plan"].pk, {"product": row["product"], "allowed": 0, "ordered": 0, "filled": 0, "excess": 0}
        )
        for key in ("allowed", "ordered", "filled", "excess"):
            p[key] += row[key]
    for p in products.values():
        p["rate"] = round(100 * p["filled"] / p["allowed"], 1) if p["allowed"] else None
    return {"rows": rows, "products": list(products.values())}


def allocation_excess_list(*, user: User, filters: dict | None = None) -> QuerySet[AllocationExcess]:
    filters = filters or {}
    qs = AllocationExcess.objects.filter(retailer__in=retailer_scope(user=user)).select_related(
        "retailer", "plan__product", "order_line__order"
    )
    if str(filters.get("plan") or "").isdigit():
        qs = qs.filter(plan_id=int(filters["plan"]))
    if filters.get("cycle"):
        qs = qs.filter(plan__cycle_start__lte=filters["cycle"], plan__cycle_end__gte=filters["cycle"])
    if str(filters.get("retailer") or "").isdigit():
        qs = qs.filter(retailer_id=int(filters["retailer"]))
    return qs.order_by("-ordered_on", "-id")
