"""Reads of purchase history, always through the accounts scoping."""

import datetime

from django.db.models import Count, F, Sum
from django.utils import timezone

from accounts.models import Retailer
from sales.models import Order, OrderLine, RetailerPeriodSummary

HISTORY_WEEKS = 52


def retailer_purchase_history(*, retailer: Retailer, weeks: int = HISTORY_WEEKS) -> dict:
    """Weekly cartons and amount (from the kept summaries), top products, price-class mix and the last order.
    The caller has already checked the retailer is in the user's scope (accounts.selectors.retailer_get)."""
    today = timezone.localdate()
    since = today - datetime.timedelta(days=today.weekday() + 7 * (weeks - 1))
    summaries = list(
        RetailerPeriodSummary.objects.filter(retailer=retailer, period="week", period_start__gte=since)
        .order_by("period_start")
        .values(
            "period_start",
            "cartons",
            "amount_fen",
            "order_count",
            "class1_cartons",
            "class2_cartons",
            "class3_cartons",
            "class4_cartons",
            "class5_cartons",
        )
    )
    by_week = {s["period_start"]: s for s in summaries}
    series = []
    for i in range(weeks):
        week = since + datetime.timedelta(weeks=i)
        row = by_week.get(week)
        series.append(
            {
                "week": week,
                "cartons": row["cartons"] if row else 0,
                "amount_yuan": round(row["amount_fen"] / 100) if row else 0,
            }
        )
    cartons = sum(s["cartons"] for s in summaries)
    amount_fen = sum(s["amount_fen"] for s in summaries)
    mix = [sum(s[f"class{c}_cartons"] for s in summaries) for c in range(1, 6)]
    last_order = Order.objects.filter(retailer=retailer).order_by("-ordered_on", "-id").first()
    top_products = list(
        OrderLine.objects.filter(
            order__retailer=retailer, order__ordered_on__gte=since, ordered_on__gte=since
        )
        .values(name=F("product__name"), price_class=F("product__price_class"), status=F("product__status"))
        .annotate(cartons=Sum("cartons"), amount_fen=Sum("amount_fen"), orders=Count("order_id"))
        .order_by("-cartons")[:8]
    )
    recent = 13
    last13 = sum(s["cartons"] for s in series[-recent:])
    prev13 = sum(s["cartons"] for s in series[-2 * recent : -recent])
    return {
        "series": series,
        "weeks": weeks,
        "orders": sum(s["order_count"] for s in summaries),
        "cartons": cartons,
        "amount_yuan": round(amount_fen / 100),
        "avg_price_yuan": round(amount_fen / cartons / 100, 1) if cartons else 0,
        "mix": [
            {"cls": c + 1, "cartons": n, "share": round(100 * n / cartons) if cartons else 0}
            for c, n in enumerate(mix)
        ],
        "last_order": last_order,
        "last_order_lines": list(last_order.lines.select_related("product").order_by("-cartons"))
        if last_order
        else [],
        "top_products": top_products,
        "trend_pct": round(100 * (last13 - prev13) / prev13) if prev13 else None,
        "days_since_last": (today - last_order.ordered_on).days if last_order else None,
    }


def retailers_without_orders(*, user, months: int):
    """Active retailers in the user's scope with no order in the last `months` months (candidates to close),
    with their last order date; anti-join on the (retailer, ordered_on) index."""
    from django.db.models import Exists, Max, OuterRef, Subquery

    from accounts.selectors import retailer_scope

    cutoff = timezone.localdate() - datetime.timedelta(days=round(30.44 * months))
    recent = Order.objects.filter(retailer=OuterRef("pk"), ordered_on__gte=cutoff)
    last = (
        Order.objects.filter(retailer=OuterRef("pk"))
        .values("retailer")
        .annotate(last=Max("ordered_on"))
        .values("last")
    )
    return (
        retailer_scope(user=user)
        .filter(status="active")
        .filter(~Exists(recent))
        .annotate(last_order_on=Subquery(last))
        .select_related("route__manager")
        .order_by("last_order_on", "id")
    )
