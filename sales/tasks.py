"""Celery adapters for sales: take ids, call one service."""

from celery import shared_task


@shared_task(name="sales.allocation_excess_refresh", acks_late=True)
def allocation_excess_refresh_task() -> int:
    from sales.allocation.services import allocation_excess_refresh_recent

    return allocation_excess_refresh_recent()


@shared_task(name="sales.history_partitions_maintain", acks_late=True)
def history_partitions_maintain_task() -> dict:
    from sales.partitions import history_partitions_maintain

    return history_partitions_maintain()
