"""How loyalty follows the layers below it without them knowing it: orders landed by an import are awarded
(by a task enqueued when the import commits), and a retailer merged into another hands its points over."""

from django.db import transaction

from accounts.dedupe import merge_handler
from sales.services import orders_created_handler


@orders_created_handler
def award_created_orders(*, first_order_id: int, last_order_id: int) -> None:
    from loyalty.tasks import points_award_task

    transaction.on_commit(lambda: points_award_task.delay(first_order_id, last_order_id))


@merge_handler
def move_points_on_merge(cursor, from_id: int, to_id: int) -> None:
    from loyalty.services.ledger import points_transfer_on_merge

    points_transfer_on_merge(from_retailer_id=from_id, to_retailer_id=to_id)
