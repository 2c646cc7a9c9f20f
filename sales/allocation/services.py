"""Every write of allocation (货源投放): drafting a plan and its rule rows, publishing it against the supply,
new versions, and the excess flags on order lines."""

import datetime
import itertools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from core.errors import ConflictError
from sales.allocation.models import AllocationPlan, AllocationRule
from sales.allocation.selectors import FROZEN_SQL, allocation_preview, allowance_sql
from sales.models import Product
from users.models import OrgUnit, User


def _may_plan(*, user: User, org_unit: OrgUnit) -> bool:
    if not user.has_perm("sales.add_allocationplan"):
        return False
    if user.is_company_admin:
        return True
    return bool(user.org_unit_id) and org_unit.path.startswith(user.org_unit.path)


def _check_rules(rules: list[dict]) -> list[AllocationRule]:
    """Rule rows from plain dicts; refused: negative or non-integer limits, tiers outside 1–30, a range whose
    start is above its end, unknown market types, and ranges of one market type that overlap."""
    built, errors = [], []
    for index, row in enumerate(rules, start=1):
        try:
            tier_from, tier_to, cartons = int(row["tier_from"]), int(row["tier_to"]), int(row["cartons"])
        except (KeyError, TypeError, ValueError):
            errors.append(_("第 %(n)s 行：档位和限量必须是整数。") % {"n": index})
            continue
        market = row.get("market_type")
        if market not in Retailer.MarketType.values:
            errors.append(_("第 %(n)s 行：市场类型只能是城镇(C)或乡村(X)。") % {"n": index})
        if not (1 <= tier_from <= tier_to <= 30):
            errors.append(_("第 %(n)s 行：档位范围须在 1–30 之间且起不大于止。") % {"n": index})
        if cartons < 0:
            errors.append(_("第 %(n)s 行：限量不能为负数。") % {"n": index})
        built.append(
            AllocationRule(tier_from=tier_from, tier_to=tier_to, market_type=market, cartons=cartons)
        )
    if not errors:
        for market in Retailer.MarketType.values:
            ranges = sorted((r.tier_from, r.tier_to) for r in built if r.market_type == market)
            for (a_from, a_to), (b_from, b_to) in itertools.pairwise(ranges):
                if b_from <= a_to:
                    errors.append(
                        _("%(market)s 的档位 %(a)s 与 %(b)s 重叠。")
                        % {
                            "market": Retailer.MarketType(market).label,
                            "a": f"{a_from}–{a_to}",
                            "b": f"{b_from}–{b_to}",
                        }
                    )
    if errors:
        raise ValidationError({"rules": errors})
    return built


@transaction.atomic
def allocation_plan_create(
    *,
    actor: User,
    product_id: int,
    org_unit_id: int,
    cycle_start: datetime.date,
    cycle_end: datetime.date | None = None,
    supply_cartons: int,
    rules: list[dict],
    notes: str = "",
) -> AllocationPlan:
    """A draft plan. Without `cycle_end` the cycle is the order week: cycle_start must then be a Monday."""
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ValidationError({"product": _("未知的品规。")})
    if not product.is_scarce or product.status == Product.Status.WITHDRAWN:
        raise ValidationError({"product": _("只有在售的紧俏品规才需要投放方案。")})
    org_unit = OrgUnit.objects.filter(pk=org_unit_id).first()
    if org_unit is None:
        raise ValidationError({"org_unit": _("未知的单位。")})
    if not _may_plan(user=actor, org_unit=org_unit):
        raise PermissionDenied(_("您没有此操作的权限。"))
    if cycle_end is None:
        if cycle_start.weekday() != 0:
            raise ValidationError({"cycle_start": _("按周投放时，周期须从周一开始。")})
        cycle_end = cycle_start + datetime.timedelta(days=6)
    if supply_cartons is None or int(supply_cartons) < 0:
        raise ValidationError({"supply_cartons": _("可供货源不能为负数。")})
    built = _check_rules(rules)
    if AllocationPlan.objects.filter(
        product=product, org_unit=org_unit, cycle_start=cycle_start, state=AllocationPlan.State.DRAFT
    ).exists():
        raise ValidationError({"cycle_start": _("该品规本周期已有草稿，请直接编辑。")})
    latest = (
        AllocationPlan.objects.filter(product=product, org_unit=org_unit, cycle_start=cycle_start)
        .order_by("-version")
        .first()
    )
    plan = AllocationPlan(
        product=product,
        org_unit=org_unit,
        cycle_start=cycle_start,
        cycle_end=cycle_end,
        version=latest.version + 1 if latest else 1,
        supply_cartons=int(supply_cartons),
        notes=notes,
        created_by=actor,
    )
    plan.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        # another planner created this cycle's draft (or version) between our check and our insert
        raise ConflictError(_("该品规本周期的草稿刚被他人创建，请刷新后编辑。")) from None
    for rule in built:
        rule.plan = plan
    AllocationRule.objects.bulk_create(built)
    return plan


def _locked_draft(*, actor: User, plan_id: int) -> AllocationPlan:
    plan = AllocationPlan.objects.select_for_update().select_related("org_unit").get(pk=plan_id)
    if not _may_plan(user=actor, org_unit=plan.org_unit):
        raise PermissionDenied(_("您没有此操作的权限。"))
    if plan.state != AllocationPlan.State.DRAFT:
        raise ConflictError(_("方案已发布并锁定，如需调整请创建新版本。"))
    return plan


@transaction.atomic
def allocation_plan_update(
    *, actor: User, plan: AllocationPlan, supply_cartons: int, rules: list[dict], notes: str = ""
) -> AllocationPlan:
    """Replace a draft's supply, notes and rule rows (all or nothing)."""
    plan = _locked_draft(actor=actor, plan_id=plan.pk)
    if supply_cartons is None or int(supply_cartons) < 0:
        raise ValidationError({"supply_cartons": _("可供货源不能为负数。")})
    built = _check_rules(rules)
    plan.supply_cartons = int(supply_cartons)
    plan.notes = notes
    plan.full_clean()
    plan.save(update_fields=["supply_cartons", "notes"])
    plan.rules.all().delete()
    for rule in built:
        rule.plan = plan
    AllocationRule.objects.bulk_create(built)
    return plan


@transaction.atomic
def allocation_plan_new_version(*, actor: User, plan: AllocationPlan) -> AllocationPlan:
    """A draft copy of a published plan (next version number); publishing it supersedes the published one."""
    source = AllocationPlan.objects.select_for_update().select_related("org_unit").get(pk=plan.pk)
    if source.state == AllocationPlan.State.DRAFT:
        raise ConflictError(_("草稿可以直接编辑，无需新版本。"))
    rules = [
        {"tier_from": r.tier_from, "tier_to": r.tier_to, "market_type": r.market_type, "cartons": r.cartons}
        for r in source.rules.all()
    ]
    return allocation_plan_create(
        actor=actor,
        product_id=source.product_id,
        org_unit_id=source.org_unit_id,
        cycle_start=source.cycle_start,
        cycle_end=source.cycle_end,
        supply_cartons=source.supply_cartons,
        rules=rules,
        notes=source.notes,
    )


@transaction.atomic
def allocation_plan_publish(
    *, actor: User, plan: AllocationPlan, override_reason: str = ""
) -> AllocationPlan:
    """Lock the draft and make it the plan in force, superseding the published version of the same product, unit
    and cycle. Refused when the total allowance exceeds the supply unless an override reason is given, when it has
    no rule rows, or when another published plan of the product covers an overlapping cycle in a unit above or
    below this one (a retailer must have exactly one limit). Excess flags are recomputed for the cycle."""
    if not user_may_publish(user=actor):
        raise PermissionDenied(_("您没有此操作的权限。"))
    plan = _locked_draft(actor=actor, plan_id=plan.pk)
    if not plan.rules.exists():
        raise ValidationError({"rules": _("方案没有任何档位规则。")})
    # freeze what is published: each eligible retailer's allowance with the rule row that gave it (or why not),
    # in one INSERT … SELECT; the supply check reads these very rows, and a refusal rolls them back
    with connection.cursor() as cursor:
        cursor.execute(FREEZE_SQL.format(allowances=allowance_sql()), [[plan.pk]])
    preview = allocation_preview(plan=plan, live=False)
    override_reason = (override_reason or "").strip()
    if preview["over"] and not override_reason:
        raise ValidationError(
            {
                "override_reason": _(
                    "总额度 %(total)s 条超过可供货源 %(supply)s 条：请调整限量，或填写超量发布的原因。"
                )
                % {"total": preview["total"], "supply": plan.supply_cartons}
            }
        )
    path = plan.org_unit.path
    clash = (
        AllocationPlan.objects.filter(
            product_id=plan.product_id,
            state=AllocationPlan.State.PUBLISHED,
            cycle_start__lte=plan.cycle_end,
            cycle_end__gte=plan.cycle_start,
        )
        .exclude(org_unit_id=plan.org_unit_id, cycle_start=plan.cycle_start)
        .select_related("org_unit")
    )
    for other in clash:
        if other.org_unit.path.startswith(path) or path.startswith(other.org_unit.path):
            raise ValidationError(
                {
                    "cycle_start": _("与已发布的方案“%(other)s”（%(unit)s）周期重叠。")
                    % {"other": other, "unit": other.org_unit}
                }
            )
    previous = list(
        AllocationPlan.objects.select_for_update()
        .filter(
            product_id=plan.product_id,
            org_unit_id=plan.org_unit_id,
            cycle_start=plan.cycle_start,
            state=AllocationPlan.State.PUBLISHED,
        )
        .values_list("pk", flat=True)
    )
    AllocationPlan.objects.filter(pk__in=previous).update(state=AllocationPlan.State.SUPERSEDED)
    plan.state = AllocationPlan.State.PUBLISHED
    plan.published_by = actor
    plan.published_at = timezone.now()
    plan.total_allowance = preview["total"]
    plan.override_reason = override_reason if preview["over"] else ""
    plan.frozen_from = AllocationPlan.FrozenFrom.PUBLISH
    plan.save(
        update_fields=[
            "state",
            "published_by",
            "published_at",
            "total_allowance",
            "override_reason",
            "frozen_from",
        ]
    )
    allocation_excess_refresh(plan_ids=[plan.pk], stale_plan_ids=previous)
    return plan


def user_may_publish(*, user: User) -> bool:
    return user.has_perm("sales.publish_allocationplan")


# A plan's allowances as published, frozen with the rule row that gave each (see AllocationAllowance).
FREEZE_SQL = """
    INSERT INTO sales_allocationallowance (plan_id, retailer_id, rule_id, tier, market_type, reason, cartons)
    SELECT plan_id, retailer_id, rule_id, tier, market_type, reason, cartons FROM ({allowances}) a
"""


# ---- excess ---------------------------------------------------------------------------------------------------
# Per (plan, retailer), the lines of the plan's product in its cycle in order of date and order id, with the running
# total; a line is in excess by the part of it above the allowance: least(line, greatest(0, running - allowance)).
EXCESS_INSERT = f"""
    WITH a AS ({FROZEN_SQL.format(where="")}),
    lines AS (
      SELECT a.plan_id, a.retailer_id, a.cartons AS allowance, l.id AS line_id, l.cartons, o.ordered_on,
             sum(l.cartons) OVER (PARTITION BY a.plan_id, a.retailer_id ORDER BY o.ordered_on, o.id) AS running
      FROM a
      JOIN sales_allocationplan pl ON pl.id = a.plan_id
      JOIN sales_order o ON o.retailer_id = a.retailer_id AND o.ordered_on BETWEEN pl.cycle_start AND pl.cycle_end
      JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on AND l.product_id = pl.product_id
    )
    INSERT INTO sales_allocationexcess (plan_id, order_line_id, retailer_id, ordered_on, allowance, ordered_to_date,
                                        excess_cartons, flagged_at)
    SELECT plan_id, line_id, retailer_id, ordered_on, allowance, running,
           least(cartons, running - allowance), now()
    FROM lines WHERE running > allowance
"""  # noqa: S608 - built from constants


def allocation_excess_refresh(*, plan_ids: list[int], stale_plan_ids: list[int] = ()) -> int:
    """Recompute the excess rows of published plans (and drop those of superseded ones) set-based: one DELETE and
    one INSERT … SELECT whatever the number of lines. Returns the rows written."""
    plan_ids = list(
        AllocationPlan.objects.filter(pk__in=plan_ids, state=AllocationPlan.State.PUBLISHED).values_list(
            "pk", flat=True
        )
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sales_allocationexcess WHERE plan_id = ANY(%s)", [[*plan_ids, *stale_plan_ids]]
        )
        if not plan_ids:
            return 0
        cursor.execute(EXCESS_INSERT, [plan_ids])
        return cursor.rowcount


def allocation_excess_refresh_recent(*, today: datetime.date | None = None) -> int:
    """Nightly: refresh the plans of the current and the previous cycle (orders re-imported with changed lines do
    not pass the created-orders hook)."""
    today = today or timezone.localdate()
    plan_ids = list(
        AllocationPlan.objects.filter(
            state=AllocationPlan.State.PUBLISHED,
            cycle_end__gte=today - datetime.timedelta(days=7),
            cycle_start__lte=today,
        ).values_list("pk", flat=True)
    )
    return allocation_excess_refresh(plan_ids=plan_ids)


def allocation_excess_flag_orders(*, first_order_id: int, last_order_id: int) -> int:
    """After an import created orders first..last: refresh the published plans whose product and cycle those
    orders touch (found with one query)."""
    with connection.cursor() as cursor:
        # the orders' days first, from the unpartitioned order numbers (keyed by order id): with them the orders and
        # their lines are read from those months only — an id range alone probes every month of the history
        cursor.execute(
            "SELECT min(ordered_on), max(ordered_on) FROM sales_ordernumber WHERE order_id BETWEEN %s AND %s",
            [first_order_id, last_order_id],
        )
        first_day, last_day = cursor.fetchone()
        if first_day is None:
            return 0
        cursor.execute(
            """
            SELECT DISTINCT pl.id FROM sales_order o
            JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
            JOIN sales_allocationplan pl ON pl.product_id = l.product_id AND pl.state = 'published'
                 AND o.ordered_on BETWEEN pl.cycle_start AND pl.cycle_end
            WHERE o.id BETWEEN %s AND %s
              AND o.ordered_on BETWEEN %s AND %s AND l.ordered_on BETWEEN %s AND %s
            """,
            [first_order_id, last_order_id, first_day, last_day, first_day, last_day],
        )
        touched = [row[0] for row in cursor.fetchall()]
    return allocation_excess_refresh(plan_ids=touched) if touched else 0
