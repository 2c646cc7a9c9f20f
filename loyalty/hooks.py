"""How loyalty follows the layers below it without them knowing it: orders landed by an import are awarded
(by a task enqueued when the import commits), and campaign templates can say a retailer's points balance and
link to its points page. What a merge does with loyalty's rows is in loyalty/merge.py."""

from django.db import transaction

from campaigns.templating import VARIABLE_PROVIDERS
from sales.services import ORDERS_CREATED


def award_created_orders(*, first_order_id: int, last_order_id: int) -> None:
    from loyalty.tasks import points_award_task

    transaction.on_commit(lambda: points_award_task.delay(first_order_id, last_order_id))


def _points_balances(retailer_ids: list[int]) -> dict[int, str]:
    """{{ points_balance }} in campaign templates: one query for a whole send batch."""
    from loyalty.ledger.models import PointsAccount

    balances = dict(
        PointsAccount.objects.filter(retailer_id__in=retailer_ids).values_list("retailer_id", "balance")
    )
    return {rid: str(balances.get(rid, 0)) for rid in retailer_ids}


def _points_urls(retailer_ids: list[int]) -> dict[int, str]:
    """{{ points_url }}: the retailer's own signed points page (no login)."""
    from django.urls import reverse

    from campaigns.templating import public_url
    from loyalty.links import retailer_link_token

    return {
        rid: public_url(reverse("loyalty:link", args=[retailer_link_token(retailer_id=rid)]))
        for rid in retailer_ids
    }


def register() -> None:
    """Called from LoyaltyConfig.ready()."""
    ORDERS_CREATED.register("points-award", award_created_orders, by="loyalty")
    VARIABLE_PROVIDERS.register("points_balance", _points_balances, by="loyalty")
    VARIABLE_PROVIDERS.register("points_url", _points_urls, by="loyalty")
