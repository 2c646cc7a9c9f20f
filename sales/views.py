"""Sales pages: the purchase-history panel that the retailer portrait loads."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.selectors import retailer_get
from sales.selectors import retailer_purchase_history, retailers_without_orders


@login_required
@require_GET
def retailer_purchases_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    history = retailer_purchase_history(retailer=retailer)
    return render(request, "includes/purchase_history.html", {"retailer": retailer, "h": history})


@login_required
@require_GET
def retailers_without_orders_view(request):
    """The data-quality panel of retailers with no order for N months."""
    try:
        months = max(1, min(24, int(request.GET.get("months", 3))))
    except ValueError:
        months = 3
    rows = retailers_without_orders(user=request.user, months=months)
    shown = list(rows[:50])
    return render(
        request, "includes/no_orders.html", {"rows": shown, "months": months, "more": len(shown) == 50}
    )
