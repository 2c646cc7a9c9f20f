"""Brand cultivation programmes and their target retailers."""

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.selectors import retailer_scope
from sales.models import Product
from users.models import OrgUnit, User
from visits.models import CultivationProgramme, CultivationTarget

# Target by rule: active shops under the programme's unit that bought some other product of the same price class
# in the `rule_weeks` weeks before the programme starts, but not this product.
_BY_RULE_SQL = """
INSERT INTO visits_cultivationtarget (programme_id, retailer_id, source, added_at)
SELECT %(programme)s, r.id, 'rule', now()
FROM accounts_retailer r
WHERE r.status = 'active'
  AND r.org_unit_id IN (SELECT id FROM users_orgunit WHERE path LIKE %(path)s)
  AND EXISTS (
      SELECT 1 FROM sales_order o
      JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
      JOIN sales_product p ON p.id = l.product_id
      WHERE o.retailer_id = r.id AND o.ordered_on >= %(since)s AND o.ordered_on < %(until)s
        AND p.price_class = %(price_class)s AND p.id <> %(product)s
  )
  AND NOT EXISTS (
      SELECT 1 FROM sales_order o
      JOIN sales_orderline l ON l.order_id = o.id AND l.ordered_on = o.ordered_on
      WHERE o.retailer_id = r.id AND o.ordered_on >= %(since)s AND o.ordered_on < %(until)s
        AND l.product_id = %(product)s
  )
ON CONFLICT (programme_id, retailer_id) DO NOTHING
"""


def _unit_in_scope(*, actor: User, org_unit: OrgUnit) -> bool:
    if actor.is_company_admin:
        return True
    return bool(actor.org_unit_id) and org_unit.path.startswith(actor.org_unit.path)


@transaction.atomic
def programme_create(
    *,
    actor: User,
    name: str,
    product: Product,
    org_unit: OrgUnit,
    starts_on: datetime.date,
    ends_on: datetime.date,
    goal_selling_retailers: int,
    goal_sell_through_pct: int,
    rule_weeks: int = 8,
) -> CultivationProgramme:
    if not _unit_in_scope(actor=actor, org_unit=org_unit):
        raise ValidationError({"org_unit": _("只能为本单位及下级单位创建培育项目。")})
    if product.status == Product.Status.WITHDRAWN:
        raise ValidationError({"product": _("已退市的品规不能培育。")})
    programme = CultivationProgramme(
        name=name.strip(),
        product=product,
        org_unit=org_unit,
        starts_on=starts_on,
        ends_on=ends_on,
        goal_selling_retailers=goal_selling_retailers,
        goal_sell_through_pct=goal_sell_through_pct,
        rule_weeks=rule_weeks,
        created_by=actor,
        created_at=timezone.now(),
    )
    programme.full_clean()
    programme.save()
    return programme


@transaction.atomic
def programme_targets_by_rule(*, programme: CultivationProgramme, actor: User | None = None) -> int:
    """Add the shops the rule finds (see _BY_RULE_SQL); shops already targeted stay as they are. Returns how many
    were added. With `actor`, only a programme of the actor's own unit or below: the rule reaches every shop under
    the programme's unit, and a programme of a unit above reaches other counties' shops."""
    if actor is not None and not _unit_in_scope(actor=actor, org_unit=programme.org_unit):
        raise ValidationError(_("只能为本单位及下级单位的培育项目按规则选客户。"))
    price_class = programme.product.price_class
    if price_class is None:
        raise ValidationError(_("该品规没有价类，无法按价类规则选客户。"))
    with connection.cursor() as cursor:
        cursor.execute(
            _BY_RULE_SQL,
            {
                "programme": programme.pk,
                "path": programme.org_unit.path + "%",
                "since": programme.starts_on - datetime.timedelta(weeks=programme.rule_weeks),
                "until": programme.starts_on,
                "price_class": price_class,
                "product": programme.product_id,
            },
        )
        return cursor.rowcount


@transaction.atomic
def programme_targets_add(*, actor: User, programme: CultivationProgramme, retailer_ids: list[int]) -> int:
    """Add shops by hand. Every id must be an active shop the actor may see under the programme's unit; otherwise
    nothing is added."""
    wanted = set(retailer_ids)
    if not wanted:
        raise ValidationError(_("请选择要加入的客户。"))
    allowed = set(
        retailer_scope(user=actor)
        .filter(pk__in=wanted, status="active", org_unit__path__startswith=programme.org_unit.path)
        .values_list("pk", flat=True)
    )
    missing = sorted(wanted - allowed)
    if missing:
        raise ValidationError(
            _("以下客户不存在、不在您的范围或不属于项目单位：%(ids)s") % {"ids": ", ".join(map(str, missing))}
        )
    existing = CultivationTarget.objects.filter(programme=programme, retailer_id__in=allowed)
    before = existing.count()
    CultivationTarget.objects.bulk_create(
        [
            CultivationTarget(programme=programme, retailer_id=pk, source=CultivationTarget.Source.HAND)
            for pk in sorted(allowed)
        ],
        ignore_conflicts=True,
    )
    return existing.count() - before


@transaction.atomic
def programme_targets_remove(*, actor: User, programme: CultivationProgramme, retailer_ids: list[int]) -> int:
    scope = retailer_scope(user=actor).values("pk")
    deleted, _detail = (
        CultivationTarget.objects.filter(programme=programme, retailer_id__in=retailer_ids)
        .filter(retailer_id__in=scope)
        .delete()
    )
    return deleted
