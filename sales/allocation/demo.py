"""Demo allocation plans for `seed_demo`, over the demo products and orders (sales/demo.py)."""

import datetime

from django.utils import timezone

from sales.allocation.selectors import allocation_preview
from sales.allocation.services import (
    allocation_excess_refresh,
    allocation_plan_create,
    allocation_plan_publish,
    allocation_plan_update,
)
from sales.models import Product
from users.models import OrgUnit, User


def demo_allocation_build(*, today: datetime.date | None = None) -> int:
    """Weekly plans for the three dearest scarce products in every county: last week and this week published
    (this week's over the supply, with the reason), next week a draft; then the excess of the published weeks."""
    today = today or timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    admin = User.objects.filter(role=User.Role.ADMIN).first()
    if admin is None:
        return 0
    products = list(
        Product.objects.filter(is_scarce=True, status="active").order_by("-wholesale_price_fen")[:3]
    )
    rules_for = [
        [(26, 30, 3, 2), (21, 25, 2, 1), (16, 20, 1, 1), (1, 15, 0, 0)],
        [(24, 30, 2, 1), (18, 23, 1, 1), (1, 17, 0, 0)],
        [(28, 30, 2, 1), (22, 27, 1, 0)],
    ]
    written = []
    for county in OrgUnit.objects.filter(kind="county"):
        for product, bands in zip(products, rules_for, strict=False):
            rules = [
                {"tier_from": a, "tier_to": b, "market_type": m, "cartons": n}
                for a, b, town, rural in bands
                for m, n in (("C", town), ("X", rural))
            ]
            for week in (-1, 0, 1):
                plan = allocation_plan_create(
                    actor=admin,
                    product_id=product.pk,
                    org_unit_id=county.pk,
                    cycle_start=monday + datetime.timedelta(weeks=week),
                    supply_cartons=0,
                    rules=rules,
                    notes="演示方案",
                )
                total = allocation_preview(plan=plan)["total"]
                plan = allocation_plan_update(
                    actor=admin,
                    plan=plan,
                    supply_cartons=round(total * (0.95 if week == 0 else 1.1)),
                    rules=rules,
                    notes=plan.notes,
                )
                if week < 1:
                    allocation_plan_publish(actor=admin, plan=plan, override_reason="省局追加计划已确认")
                written.append(plan.pk)
    allocation_excess_refresh(plan_ids=written)
    return len(written)
