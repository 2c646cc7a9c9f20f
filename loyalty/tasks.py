"""Celery adapters for loyalty: take ids, call one service. Every service here is idempotent (unique claims in
the ledger), so acks_late redelivery is safe."""

from celery import shared_task

from loyalty.earning.services import orders_reward
from loyalty.ledger.expiry import points_expire_nightly
from loyalty.levels.services import level_recompute


@shared_task(name="loyalty.points_award", acks_late=True)
def points_award_task(first_order_id: int, last_order_id: int) -> dict:
    """Award the orders an import has just created, then pay the referrals they complete."""
    return orders_reward(first_order_id=first_order_id, last_order_id=last_order_id)


@shared_task(name="loyalty.points_award_catch_up", acks_late=True)
def points_award_catch_up_task() -> dict:
    """Nightly: award any order not awarded yet (orders loaded another way, a task lost before it ran)."""
    return orders_reward()


@shared_task(name="loyalty.points_expire", acks_late=True)
def points_expire_task() -> dict:
    """Nightly: expire the points past their date (once per lot), and forget month-old idempotency keys."""
    return points_expire_nightly()


@shared_task(name="loyalty.level_recompute", acks_late=True)
def level_recompute_task() -> dict:
    return level_recompute()
