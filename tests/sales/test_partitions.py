"""The order history in monthly partitions: the keys the database still enforces (an order's lines, one order
number per source, the complaints' and excess flags' references), writes for a month nobody made, the months
kept ahead, and the retention that detaches, dumps and drops old months."""

import datetime
import subprocess

import pytest
from django.db import IntegrityError, connection, transaction

from core.pg_programs import pg_bin_dir, server_major
from sales.models import Order, OrderLine, OrderNumber
from sales.partitions import (
    MONTHS_AHEAD,
    history_months,
    history_partitions_ensure,
    history_partitions_maintain,
)
from tests.sales.factories import OrderFactory

DAY = datetime.date(2026, 3, 11)


def _sql(statement: str, params=()):
    """Run one statement and check the deferred keys at once (as the commit would)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


HJY, SX = "6901028100001", "6901028180566"


@pytest.fixture
def order(retailer_a, products):
    return OrderFactory(retailer=retailer_a, ordered_on=DAY, lines={products[HJY]: 2}, summaries=False)


def test_every_history_table_is_partitioned_by_month_with_the_day_in_its_primary_key(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_partkeydef(c.oid), pg_get_constraintdef(k.oid) FROM pg_class c "
            "JOIN pg_constraint k ON k.conrelid = c.oid AND k.contype = 'p' WHERE c.relname = ANY(%s) ORDER BY 1",
            [
                [
                    "sales_order",
                    "sales_orderline",
                    "sales_retailerperiodsummary",
                    "sales_retailerproductsummary",
                ]
            ],
        )
        rows = cursor.fetchall()
    assert rows == [
        ("sales_order", "RANGE (ordered_on)", "PRIMARY KEY (id, ordered_on)"),
        ("sales_orderline", "RANGE (ordered_on)", "PRIMARY KEY (id, ordered_on)"),
        ("sales_retailerperiodsummary", "RANGE (period_start)", "PRIMARY KEY (id, period_start)"),
        ("sales_retailerproductsummary", "RANGE (week_start)", "PRIMARY KEY (id, week_start)"),
    ]


def test_an_order_keeps_its_id_as_primary_key_in_django(order):
    assert Order.objects.get(pk=order.pk).order_no == order.order_no
    assert list(order.lines.values_list("ordered_on", flat=True)) == [DAY]


def test_a_line_of_a_missing_order_is_refused(order, products):
    with pytest.raises(IntegrityError, match="sales_orderline_order_fk"):
        _sql(
            "INSERT INTO sales_orderline (order_id, ordered_on, product_id, cartons, unit_price_fen, amount_fen) "
            "VALUES (%s, %s, %s, 1, 1, 1)",
            [order.pk + 1000, DAY, products[SX].pk],
        )


def test_a_line_dated_another_day_than_its_order_is_refused(order, products):
    with pytest.raises(IntegrityError, match="sales_orderline_order_fk"):
        _sql(
            "INSERT INTO sales_orderline (order_id, ordered_on, product_id, cartons, unit_price_fen, amount_fen) "
            "VALUES (%s, %s, %s, 1, 1, 1)",
            [order.pk, DAY + datetime.timedelta(days=1), products[SX].pk],
        )


def test_deleting_an_order_with_lines_is_refused_in_sql_and_cascades_in_the_orm(order):
    with pytest.raises(IntegrityError, match="sales_orderline_order_fk"):
        _sql("DELETE FROM sales_order WHERE id = %s", [order.pk])
    order.delete()
    assert not OrderLine.objects.filter(order_id=order.pk).exists()
    assert not OrderNumber.objects.filter(order_id=order.pk).exists()


def test_an_order_number_is_unique_per_source(order, retailer_a):
    insert = (
        "INSERT INTO sales_order (order_no, source, retailer_id, ordered_on, cartons, amount_fen, created_at) "
        "VALUES (%s, %s, %s, %s, 1, 1, now())"
    )
    other_month = datetime.date(2026, 5, 4)
    with pytest.raises(IntegrityError, match="order_unique_number_per_source"):
        _sql(insert, [order.order_no, order.source, retailer_a.pk, other_month])
    _sql(
        insert, [order.order_no, "phone" if order.source != "phone" else "online", retailer_a.pk, other_month]
    )
    assert OrderNumber.objects.filter(order_no=order.order_no).count() == 2


def test_a_redated_order_takes_its_lines_and_number_to_the_new_month(order):
    later = datetime.date(2026, 6, 2)
    Order.objects.filter(pk=order.pk).update(ordered_on=later)
    assert list(OrderLine.objects.filter(order=order).values_list("ordered_on", flat=True)) == [later]
    assert OrderNumber.objects.get(order_id=order.pk).ordered_on == later
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM sales_orderline WHERE order_id = %s", [order.pk])
        assert cursor.fetchone()[0] == "sales_orderline_p202606"


def test_a_write_for_a_month_nobody_made_is_refused(retailer_a):
    with pytest.raises(IntegrityError, match="no partition"):
        _sql(
            "INSERT INTO sales_order (order_no, source, retailer_id, ordered_on, cartons, amount_fen, created_at) "
            "VALUES ('X1', 'online', %s, DATE '2031-01-06', 1, 1, now())",
            [retailer_a.pk],
        )


def test_the_upkeep_makes_the_months_ahead(db):
    today = datetime.date(2030, 11, 20)  # beyond the test calendar's months
    report = history_partitions_maintain(today=today, retention_years=0)
    assert report == {"made": 4 * (MONTHS_AHEAD + 1), "archived": []}
    with connection.cursor() as cursor:
        months = history_months(cursor=cursor)
    assert {datetime.date(2030, 11, 1), datetime.date(2031, 2, 1)} <= set(months)
    assert history_partitions_maintain(today=today, retention_years=0)["made"] == 0


@pytest.mark.django_db(transaction=True)
def test_retention_detaches_dumps_and_drops_the_old_months(retailer_a, products, tmp_path, settings, request):
    """Orders two and a half years old go to the archive, last year's stay; the dump holds the four tables."""
    settings.BACKUP_DIR = tmp_path
    request.addfinalizer(_test_calendar_back)
    old = OrderFactory(retailer=retailer_a, ordered_on=datetime.date(2024, 5, 8), lines={products[HJY]: 1})
    kept = OrderFactory(retailer=retailer_a, ordered_on=datetime.date(2026, 2, 4), lines={products[HJY]: 3})
    report = history_partitions_maintain(today=datetime.date(2026, 11, 20), retention_years=2)
    assert "2024-05" in report["archived"]
    assert "2022-01" in report["archived"]  # the empty months are dropped too
    assert all(month < "2024-11" for month in report["archived"])
    assert not Order.objects.filter(pk=old.pk).exists()
    assert Order.objects.filter(pk=kept.pk).exists()
    assert OrderLine.objects.filter(order=kept).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('sales_order_p202405'), to_regclass('sales_orderline_p202405')")
        assert cursor.fetchone() == (None, None)
        assert history_months(cursor=cursor, attached=False) == []
    dump = tmp_path / "order-history" / "sales-history-202405.dump"
    listing = subprocess.run(  # noqa: S603 - our own arguments
        [str(pg_bin_dir(server_major()) / "pg_restore"), "--list", str(dump)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for table in ("sales_order_p202405", "sales_orderline_p202405", "sales_retailerperiodsummary_p202405"):
        assert f"TABLE DATA public {table}" in listing
    # an empty month is dropped without a file
    assert not (tmp_path / "order-history" / "sales-history-202201.dump").exists()


def _test_calendar_back():
    """The months the archive dropped, made again for the tests that follow (tests/conftest.py's calendar)."""
    with connection.cursor() as cursor:
        history_partitions_ensure(
            cursor=cursor, first=datetime.date(2022, 1, 1), last=datetime.date(2029, 12, 31)
        )
