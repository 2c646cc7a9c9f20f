"""The ledger's keys are checked by statement triggers instead of foreign-key constraints (why: beside
ENTRY_KEYS in loyalty/ledger/models.py). Each key the triggers check refuses a row that names nothing, and the
same row with a real key is accepted, so the refusal is the key's and not some other constraint's."""

import pytest
from django.db import IntegrityError, connection, transaction

from loyalty.ledger.models import ENTRY_KEYS, PointsEntry
from tests.loyalty.conftest import ORDER_DAY

MISSING = 999_999_999


@pytest.fixture
def ledger_rows(retailer_a, fund, place_order, carton_rule, supervisor_a):
    """A real id for each key of an entry: account, order, rule, lot (a credit's), entry, user."""
    credit = fund(retailer_a, 10)
    order = place_order(retailer_a, {"ZH": 1}, ORDER_DAY)
    return {
        "account_id": credit.account_id,
        "order_id": order.pk,
        "rule_id": carton_rule.pk,
        "lot_id": credit.pk,
        "reverses_id": credit.pk,
        "created_by_id": supervisor_a.pk,
    }


# a row of the kind that may name the column (the CHECK constraints tie keys to kinds)
ROW_BY_COLUMN = {
    "account_id": {"kind": "adjust", "points": 5},
    "order_id": {"kind": "earn", "points": 5, "order_id": None, "rule_id": None},
    "rule_id": {"kind": "earn", "points": 5, "order_id": None, "rule_id": None},
    "lot_id": {"kind": "expire", "points": -5, "lot_id": None},
    "reverses_id": {"kind": "reverse", "points": -10, "reverses_id": None},
    "created_by_id": {"kind": "adjust", "points": 5, "created_by_id": None},
}


def _insert_entry(row: dict) -> None:
    columns = ", ".join(row)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO loyalty_pointsentry ({columns}, note, created_at) "  # noqa: S608 - our own column names
            f"VALUES ({', '.join(['%s'] * len(row))}, '', now())",
            list(row.values()),
        )


def test_every_key_of_an_entry_is_checked_by_the_trigger():
    keys = {
        field.column
        for field in PointsEntry._meta.concrete_fields
        if field.is_relation and not field.db_constraint
    }
    assert {column for column, *_rest in ENTRY_KEYS} == keys == set(ROW_BY_COLUMN)


@pytest.mark.parametrize("column", [column for column, *_rest in ENTRY_KEYS])
def test_an_entry_naming_no_row_is_refused(column, ledger_rows):
    row = {"account_id": ledger_rows["account_id"], **ROW_BY_COLUMN[column]}
    row = {name: ledger_rows[name] if value is None else value for name, value in row.items()}
    bad = {**row, column: MISSING}

    with (
        pytest.raises(IntegrityError, match=f"violates its foreign key {column} -> "),
        transaction.atomic(),
    ):
        _insert_entry(bad)

    with transaction.atomic():  # the same row naming a real one is accepted
        _insert_entry(row)


def test_a_lot_naming_no_entry_is_refused(ledger_rows):
    with (
        pytest.raises(IntegrityError, match="violates its foreign key entry_id -> "),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO loyalty_pointslot (entry_id, amount, remaining, expires_on) "
            "VALUES (%s, 5, 5, '2030-01-01')",
            [MISSING],
        )

    debit = PointsEntry.objects.create(account_id=ledger_rows["account_id"], kind="adjust", points=3)
    with connection.cursor() as cursor:  # an entry that opened no lot yet may open one
        cursor.execute(
            "INSERT INTO loyalty_pointslot (entry_id, amount, remaining, expires_on) "
            "VALUES (%s, 3, 3, '2030-01-01')",
            [debit.pk],
        )
