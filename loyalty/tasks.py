"""Celery adapters for loyalty: take ids, call one service. Every service here is idempotent (unique claims in
the ledger), so acks_late redelivery is safe."""

from celery import shared_task

from loyalty import services


@shared_task(name="loyalty.points_award", acks_late=True)
def points_award_task(first_order_id: int, last_order_id: int) -> dict:
    """Award the orders an import has just created, then pay the referrals they complete."""
    result = services.points_award(first_order_id=first_order_id, last_order_id=last_order_id)
    result["referrals"] = services.referrals_grant()
    return result


@shared_task(name="loyalty.points_award_catch_up", acks_late=True)
def points_award_catch_up_task() -> dict:
    """Nightly: award any order not awarded yet (orders loaded another way, a task lost before it ran)."""
    result = services.points_award()
    result["referrals"] = services.referrals_grant()
    return result


@shared_task(name="loyalty.points_expire", acks_late=True)
def points_expire_task() -> dict:
    """Nightly: expire the points past their date (once per lot), and forget month-old idempotency keys."""
    from core.idempotency import idempotency_keys_expire

    result = services.points_expire()
    result["idempotency_keys_forgotten"] = idempotency_keys_expire()
    return result


@shared_task(name="loyalty.level_recompute", acks_late=True)
def level_recompute_task() -> dict:
    return services.level_recompute()
