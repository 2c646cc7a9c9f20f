"""Progress of a brand cultivation programme, from orders and visits, over the user's scope.

Periods. "This period" runs from the programme's start to today or its end, whichever is earlier (D days).
"Last period" is the D days just before the start. Before the start, this period is empty and the last period is
as long as the whole programme.

    selling            targets that bought the product in this period
    average purchase   cartons of the product the targets bought in a period ÷ number of targets
    sell-through rate  this period's average purchase ÷ last period's (undefined when last period's is 0: the
                       product is new to these shops, and "selling" is then the measure to watch)
    shelf presence     of the targets visited since the start with the product checked, the share whose latest
                       check found it in stock
    by manager         the same, per customer manager of the target's route
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Retailer
from users.models import User
from visits.cultivation.models import CultivationProgramme
from visits.selectors import fetch_dicts, scope_sql

_TARGETS_CTE = """
WITH scope AS ({scope}),
bought AS (
    SELECT o.retailer_id,
           sum(l.cartons) FILTER (WHERE o.ordered_on BETWEEN %s AND %s) AS this_cartons,
           sum(l.cartons) FILTER (WHERE o.ordered_on BETWEEN %s AND %s) AS last_cartons
    FROM sales_orderline l
    JOIN sales_order o ON o.id = l.order_id AND o.ordered_on = l.ordered_on
    WHERE l.product_id = %s AND o.ordered_on BETWEEN %s AND %s
      AND o.retailer_id IN (SELECT retailer_id FROM visits_cultivationtarget WHERE programme_id = %s)
    GROUP BY o.retailer_id
),
checked AS (
    SELECT DISTINCT ON (v.retailer_id) v.retailer_id, sc.in_stock
    FROM visits_visitstockcheck sc
    JOIN visits_visit v ON v.id = sc.visit_id
    WHERE sc.programme_id = %s AND v.visited_on >= %s
    ORDER BY v.retailer_id, v.visited_on DESC, v.id DESC
),
target AS (
    SELECT t.retailer_id, r.shop_name, r.customer_code, rt.manager_id, t.source,
           COALESCE(b.this_cartons, 0) AS this_cartons,
           COALESCE(b.last_cartons, 0) AS last_cartons,
           c.in_stock
    FROM visits_cultivationtarget t
    JOIN accounts_retailer r ON r.id = t.retailer_id
    LEFT JOIN users_route rt ON rt.id = r.route_id
    LEFT JOIN bought b ON b.retailer_id = t.retailer_id
    LEFT JOIN checked c ON c.retailer_id = t.retailer_id
    WHERE t.programme_id = %s AND t.retailer_id IN (SELECT * FROM scope)
)
"""

_BY_MANAGER_SQL = (
    _TARGETS_CTE
    + """
SELECT manager_id,
       count(*) AS targets,
       count(*) FILTER (WHERE this_cartons > 0) AS selling,
       sum(this_cartons) AS this_cartons,
       sum(last_cartons) AS last_cartons,
       count(in_stock) AS checked,
       count(*) FILTER (WHERE in_stock) AS in_stock
FROM target
GROUP BY manager_id
ORDER BY manager_id NULLS LAST
"""
)

_TARGET_ROWS_SQL = (
    _TARGETS_CTE
    + """
SELECT * FROM target ORDER BY this_cartons, last_cartons DESC, retailer_id LIMIT %s
"""
)

TWO = Decimal("0.01")
ONE = Decimal("0.1")


@dataclass
class Periods:
    this_from: datetime.date
    this_to: datetime.date | None  # None: not started yet
    last_from: datetime.date
    last_to: datetime.date

    @property
    def days(self) -> int:
        return (self.last_to - self.last_from).days + 1


def periods_of(programme: CultivationProgramme, today: datetime.date) -> Periods:
    if today < programme.starts_on:
        days = (programme.ends_on - programme.starts_on).days + 1
        this_to = None
    else:
        this_to = min(today, programme.ends_on)
        days = (this_to - programme.starts_on).days + 1
    return Periods(
        this_from=programme.starts_on,
        this_to=this_to,
        last_from=programme.starts_on - datetime.timedelta(days=days),
        last_to=programme.starts_on - datetime.timedelta(days=1),
    )


@dataclass
class Progress:
    manager: User | None
    targets: int
    selling: int
    this_cartons: int
    last_cartons: int
    checked: int
    in_stock: int

    @property
    def avg_this(self) -> Decimal | None:
        return (
            (Decimal(self.this_cartons) / self.targets).quantize(TWO, ROUND_HALF_UP) if self.targets else None
        )

    @property
    def avg_last(self) -> Decimal | None:
        return (
            (Decimal(self.last_cartons) / self.targets).quantize(TWO, ROUND_HALF_UP) if self.targets else None
        )

    @property
    def sell_through_pct(self) -> Decimal | None:
        # the same targets in both periods, so the ratio of averages is the ratio of totals
        if not self.targets or not self.last_cartons:
            return None
        return (Decimal(self.this_cartons) * 100 / self.last_cartons).quantize(ONE, ROUND_HALF_UP)

    @property
    def shelf_pct(self) -> Decimal | None:
        return (
            (Decimal(self.in_stock) * 100 / self.checked).quantize(ONE, ROUND_HALF_UP)
            if self.checked
            else None
        )


def _params(user: User, programme: CultivationProgramme, periods: Periods) -> list:
    scope, scope_params = scope_sql(user)
    # before the start nothing can have been bought "this period": an empty range
    this_to = periods.this_to or periods.this_from - datetime.timedelta(days=1)
    params = [
        *scope_params,
        periods.this_from,
        this_to,
        periods.last_from,
        periods.last_to,
        programme.product_id,
        periods.last_from,
        max(this_to, periods.last_to),
        programme.pk,
        programme.pk,
        programme.starts_on,
        programme.pk,
    ]
    return scope, params


def programme_progress(
    *, user: User, programme: CultivationProgramme, today: datetime.date | None = None
) -> tuple[Periods, Progress, list[Progress]]:
    """(periods, the total over the user's targets, one row per manager)."""
    periods = periods_of(programme, today or timezone.localdate())
    scope, params = _params(user, programme, periods)
    rows = fetch_dicts(_BY_MANAGER_SQL.format(scope=scope), params)
    managers = User.objects.in_bulk({r["manager_id"] for r in rows if r["manager_id"]})
    by_manager = [
        Progress(
            manager=managers.get(r["manager_id"]),
            targets=r["targets"],
            selling=r["selling"],
            this_cartons=int(r["this_cartons"]),
            last_cartons=int(r["last_cartons"]),
            checked=r["checked"],
            in_stock=r["in_stock"],
        )
        for r in rows
    ]
    total = Progress(
        manager=None,
        **{
            name: sum(getattr(p, name) for p in by_manager)
            for name in ("targets", "selling", "this_cartons", "last_cartons", "checked", "in_stock")
        },
    )
    return periods, total, by_manager


def programme_target_rows(
    *, user: User, programme: CultivationProgramme, today: datetime.date | None = None, limit: int = 200
) -> list[dict]:
    """The targets the user may see, those selling least first, with each one's cartons and latest stock check."""
    periods = periods_of(programme, today or timezone.localdate())
    scope, params = _params(user, programme, periods)
    return fetch_dicts(_TARGET_ROWS_SQL.format(scope=scope), [*params, limit])


def programme_list(*, user: User) -> QuerySet[CultivationProgramme]:
    """Programmes of the user's unit, the units above it (a company programme reaches every county) and below it."""
    qs = CultivationProgramme.objects.select_related("product", "org_unit")
    if user.is_company_admin:
        return qs
    if not user.org_unit_id:
        return qs.none()
    path = user.org_unit.path
    ancestors = [int(pk) for pk in path.strip("/").split("/") if pk]
    return qs.filter(org_unit_id__in=ancestors) | qs.filter(org_unit__path__startswith=path)


def programme_get(*, user: User, programme_id: int) -> CultivationProgramme:
    return get_object_or_404(programme_list(user=user), pk=programme_id)


def programmes_running_for(*, retailer: Retailer, day: datetime.date) -> QuerySet[CultivationProgramme]:
    """The programmes this shop is a target of that run on `day` (the visit form's stock checklist)."""
    return (
        CultivationProgramme.objects.filter(targets__retailer=retailer, starts_on__lte=day, ends_on__gte=day)
        .select_related("product")
        .order_by("starts_on", "pk")
    )
