"""The drill-down from a KPI card to its retailers (who did not order, who is at risk, …)."""

import datetime

from django.db.models import F
from django.http import Http404

from cockpit.models import Period
from cockpit.periods import period_start
from users.models import User

DRILL_SHOWS = ("not_ordered", "ordered", "new", "at_risk", "lost", "reactivated")
DRILL_LIMIT = 200


def drill_retailers(
    *,
    user: User,
    show: str,
    start: datetime.date,
    end: datetime.date,
    org_unit_id: int | None = None,
    manager_id: int | None = None,
):
    """The retailers behind a sales or lifecycle number, in the user's scope: (first DRILL_LIMIT rows, count).
    Read through the weekly/monthly summaries and the scoring run's tables, never the order lines."""
    from django.db.models import Exists, OuterRef, Subquery

    from accounts.selectors import retailer_scope
    from sales.models import RetailerPeriodSummary
    from segmentation.scoring.models import RetailerScore, ScoringEvent

    if show not in DRILL_SHOWS:
        raise Http404
    qs = retailer_scope(user=user).select_related("route__manager", "org_unit")
    if org_unit_id:
        qs = qs.filter(org_unit__path__contains=f"/{int(org_unit_id)}/")
    if manager_id:
        qs = qs.filter(route__manager_id=manager_id)
    if show in ("ordered", "not_ordered"):
        period = Period.WEEK if (end - start).days <= 6 else Period.MONTH
        summaries = RetailerPeriodSummary.objects.filter(
            retailer=OuterRef("pk"), period=period, period_start=period_start(period, start)
        )
        bought = Exists(summaries.filter(order_count__gt=0))
        qs = qs.annotate(
            period_cartons=Subquery(summaries.values("cartons")[:1]),
            period_amount=Subquery(summaries.values("amount_fen")[:1]),
        )
        if show == "ordered":
            qs = qs.filter(bought).order_by("-period_amount", "pk")
        else:
            qs = qs.filter(~bought, status="active")
    elif show == "new":
        qs = qs.filter(
            Exists(
                RetailerScore.objects.filter(
                    retailer=OuterRef("pk"), first_order_on__gte=start, first_order_on__lte=end
                )
            )
        ).order_by("shop_name", "pk")
    else:
        kind = {
            "at_risk": ScoringEvent.Kind.BECAME_AT_RISK,
            "lost": ScoringEvent.Kind.BECAME_LOST,
            "reactivated": ScoringEvent.Kind.REACTIVATED,
        }[show]
        from cockpit.periods import aware

        qs = qs.filter(
            Exists(
                ScoringEvent.objects.filter(
                    retailer=OuterRef("pk"),
                    kind=kind,
                    at__gte=aware(start),
                    at__lt=aware(end + datetime.timedelta(days=1)),
                )
            )
        ).order_by("shop_name", "pk")
    scores = RetailerScore.objects.filter(retailer=OuterRef("pk"))
    qs = qs.annotate(
        last_order_on=Subquery(scores.values("last_order_on")[:1]),
        lifecycle=Subquery(scores.values("lifecycle")[:1]),
    )
    if show == "not_ordered":
        # the longest silent first: the shops to call before the next order day
        qs = qs.order_by(F("last_order_on").asc(nulls_first=True), "pk")
    rows = list(qs[: DRILL_LIMIT + 1])
    return rows[:DRILL_LIMIT], len(rows) > DRILL_LIMIT
