"""A complaint's order is checked by triggers, not a foreign key (sales_order is partitioned by month: its key is
(id, ordered_on)): a missing order is refused, an order a complaint names is not deleted in SQL, and the ORM's
SET_NULL still clears the complaint first."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from tests.feedback.factories import ComplaintFactory
from tests.sales.factories import OrderFactory


def _sql(statement: str, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.fixture
def order(retailer_a):
    return OrderFactory(retailer=retailer_a, ordered_on=datetime.date(2026, 3, 11), summaries=False)


def test_a_complaint_naming_a_missing_order_is_refused(order, retailer_a):
    complaint = ComplaintFactory(retailer=retailer_a, order=order)
    with pytest.raises(IntegrityError, match="order_id -> sales_order"):
        _sql("UPDATE feedback_complaint SET order_id = %s WHERE id = %s", [order.pk + 1000, complaint.pk])


def test_an_order_named_by_a_complaint_is_not_deleted_in_sql_but_the_orm_clears_the_complaint(
    order, retailer_a
):
    complaint = ComplaintFactory(retailer=retailer_a, order=order)
    with pytest.raises(IntegrityError, match="feedback_complaint"):
        _sql("DELETE FROM sales_order WHERE id = %s", [order.pk])
    order.delete()
    complaint.refresh_from_db()
    assert complaint.order_id is None
