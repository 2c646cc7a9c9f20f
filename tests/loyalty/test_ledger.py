"""The ledger itself: FIFO consumption of lots, a balance that cannot go negative, append-only entries,
reversals as the only correction, expiry once per lot, the expiry notices."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, InternalError, connection, transaction

from core.errors import ConflictError
from loyalty.ledger.expiry import points_expire
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot, PointsLotUse
from loyalty.ledger.services import points_adjust, points_redeem, points_reverse
from loyalty.models import LoyaltyEvent
from loyalty.selectors import ledger_discrepancies, points_expiring, points_summary
from tests.loyalty.conftest import balance_of

TODAY = datetime.date(2026, 3, 1)
Y2026 = datetime.date(2026, 12, 31)
Y2027 = datetime.date(2027, 12, 31)


def remaining(entry) -> int:
    return PointsLot.objects.get(entry=entry).remaining


def test_redemption_takes_from_the_lot_that_expires_first(retailer_a, fund):
    later = fund(retailer_a, 300, Y2027)
    sooner = fund(retailer_a, 200, Y2026)

    entry = points_redeem(retailer_id=retailer_a.pk, points=250, today=TODAY)

    assert (remaining(sooner), remaining(later)) == (0, 250)
    assert sorted(PointsLotUse.objects.filter(entry=entry).values_list("lot_id", "points")) == sorted(
        [(sooner.pk, 200), (later.pk, 50)]
    )
    assert entry.points == -250
    assert balance_of(retailer_a) == 250
    assert ledger_discrepancies() == []


def test_lots_with_the_same_date_are_taken_oldest_first(retailer_a, fund):
    first = fund(retailer_a, 100, Y2026)
    second = fund(retailer_a, 100, Y2026)

    points_redeem(retailer_id=retailer_a.pk, points=120, today=TODAY)

    assert (remaining(first), remaining(second)) == (0, 80)


def test_a_redemption_beyond_the_balance_is_refused_and_changes_nothing(retailer_a, fund):
    fund(retailer_a, 100)

    with pytest.raises(ConflictError, match="积分不足"):
        points_redeem(retailer_id=retailer_a.pk, points=101, today=TODAY)

    assert balance_of(retailer_a) == 100
    assert PointsEntry.objects.count() == 1


def test_the_database_refuses_a_negative_balance(retailer_a, fund):
    fund(retailer_a, 10)

    with pytest.raises(IntegrityError, match="account_balance_not_negative"), transaction.atomic():
        PointsAccount.objects.filter(retailer=retailer_a).update(balance=-1)


def test_the_database_refuses_a_lot_emptier_than_empty(retailer_a, fund):
    entry = fund(retailer_a, 10)

    with pytest.raises(IntegrityError, match="lot_remaining_within_amount"), transaction.atomic():
        PointsLot.objects.filter(entry=entry).update(remaining=11)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE loyalty_pointsentry SET points = points + 1", "DELETE FROM loyalty_pointsentry"],
)
def test_entries_can_be_neither_updated_nor_deleted(retailer_a, fund, statement):
    fund(retailer_a, 10)

    with pytest.raises(InternalError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)

    assert PointsEntry.objects.get().points == 10


def test_expired_lots_are_expired_before_a_redemption_spends_points(retailer_a, fund):
    fund(retailer_a, 100, datetime.date(2025, 12, 31))
    fund(retailer_a, 50, Y2026)

    with pytest.raises(ConflictError, match="当前余额 50"):
        points_redeem(retailer_id=retailer_a.pk, points=60, today=TODAY)
    points_redeem(retailer_id=retailer_a.pk, points=50, today=TODAY)

    assert balance_of(retailer_a) == 0
    assert PointsEntry.objects.filter(kind="expire").get().points == -100
    assert ledger_discrepancies() == []


def test_the_expiry_run_twice_writes_one_expiry_entry_per_lot(retailer_a, retailer_b, fund):
    a_old = fund(retailer_a, 100, datetime.date(2025, 12, 31))
    fund(retailer_a, 40, Y2026)
    b_old = fund(retailer_b, 70, datetime.date(2026, 2, 28))
    points_redeem(retailer_id=retailer_b.pk, points=20, today=datetime.date(2026, 2, 1))

    first = points_expire(today=TODAY)
    second = points_expire(today=TODAY)

    assert (first["lots"], first["points"], first["accounts"]) == (2, 150, 2)
    assert (second["lots"], second["points"]) == (0, 0)
    expiries = PointsEntry.objects.filter(kind="expire")
    assert sorted(expiries.values_list("lot_id", "points")) == sorted([(a_old.pk, -100), (b_old.pk, -50)])
    assert (balance_of(retailer_a), balance_of(retailer_b)) == (40, 0)
    assert ledger_discrepancies() == []


def test_points_are_valid_through_their_expiry_date(retailer_a, fund):
    fund(retailer_a, 100, TODAY)

    assert points_expire(today=TODAY)["lots"] == 0
    assert points_expire(today=TODAY + datetime.timedelta(days=1))["lots"] == 1


def test_expiry_notices_are_raised_once_per_retailer_and_date(retailer_a, retailer_b, fund):
    fund(retailer_a, 100, datetime.date(2026, 3, 20))
    fund(retailer_a, 30, datetime.date(2026, 3, 20))
    fund(retailer_b, 100, datetime.date(2026, 6, 30))  # beyond the 30 notice days

    points_expire(today=TODAY)
    points_expire(today=TODAY)

    events = LoyaltyEvent.objects.filter(kind="points_expiring")
    assert [(e.retailer_id, e.ref_date, e.detail["points"]) for e in events] == [
        (retailer_a.pk, datetime.date(2026, 3, 20), 130)
    ]
    assert points_expiring(within_days=30, as_of=TODAY) == [
        {
            "retailer_id": retailer_a.pk,
            "points": 130,
            "expires_on": datetime.date(2026, 3, 20),
            "last_expires_on": datetime.date(2026, 3, 20),
        }
    ]


def test_the_summary_shows_balance_and_next_expiry(retailer_a, fund):
    fund(retailer_a, 100, datetime.date(2026, 3, 20))
    fund(retailer_a, 30, Y2026)

    summary = points_summary(retailer=retailer_a, today=TODAY)

    assert summary["balance"] == 130
    assert summary["next_expiry"] == {"expires_on": datetime.date(2026, 3, 20), "points": 100}
    assert summary["expiring_soon"] == 100


def test_reversing_an_earn_takes_back_from_its_own_lot_first(retailer_a, place_order, carton_rule, fund):
    from loyalty.earning.services import points_award

    other = fund(retailer_a, 100, datetime.date(2026, 6, 30))  # expires first
    spare = fund(retailer_a, 50, Y2027)  # expires last
    place_order(retailer_a, {"SX": 40})  # earns 40, expiring 2026-12-31
    points_award()
    earn = PointsEntry.objects.get(kind="earn")
    points_redeem(retailer_id=retailer_a.pk, points=110, today=TODAY)  # 100 from `other`, 10 from the earn

    reversal = points_reverse(entry_id=earn.pk, user=None, reason="订单作废")

    assert reversal.points == -40
    assert reversal.reverses == earn
    # 30 from the earn's own lot, the other 10 first in first out
    assert (remaining(other), remaining(earn), remaining(spare)) == (0, 0, 40)
    assert balance_of(retailer_a) == 40
    assert ledger_discrepancies() == []


def test_an_entry_is_reversed_at_most_once_and_a_reversal_never(retailer_a, fund):
    entry = fund(retailer_a, 100)
    reversal = points_reverse(entry_id=entry.pk, user=None, reason="录错")

    with pytest.raises(ConflictError, match="已经冲正过"):
        points_reverse(entry_id=entry.pk, user=None, reason="再来一次")
    with pytest.raises(ConflictError, match="不能再冲正"):
        points_reverse(entry_id=reversal.pk, user=None, reason="")
    assert balance_of(retailer_a) == 0


def test_reversing_a_credit_already_spent_needs_the_balance(retailer_a, fund):
    entry = fund(retailer_a, 100)
    points_redeem(retailer_id=retailer_a.pk, points=80, today=TODAY)

    with pytest.raises(ConflictError, match="积分不足"):
        points_reverse(entry_id=entry.pk, user=None, reason="录错")
    assert balance_of(retailer_a) == 20


def test_reversing_an_expiry_gives_the_points_back_for_the_grace_days(retailer_a, fund):
    fund(retailer_a, 100, datetime.date(2025, 12, 31))
    points_expire(today=TODAY)
    expiry = PointsEntry.objects.get(kind="expire")

    reversal = points_reverse(entry_id=expiry.pk, user=None, reason="系统故障期间到期")

    assert reversal.points == 100
    from django.utils import timezone

    assert reversal.expires_on == timezone.localdate() + datetime.timedelta(days=30)
    assert balance_of(retailer_a) == 100
    assert ledger_discrepancies() == []


def test_only_those_allowed_adjust_and_every_adjustment_has_a_reason(retailer_a, manager_a, supervisor_a):
    with pytest.raises(PermissionDenied):
        points_adjust(retailer_id=retailer_a.pk, points=10, user=manager_a, reason="补录")
    with pytest.raises(ValidationError) as error:
        points_adjust(retailer_id=retailer_a.pk, points=0, user=supervisor_a, reason=" ")
    assert set(error.value.message_dict) == {"points", "reason"}

    points_adjust(retailer_id=retailer_a.pk, points=25, user=supervisor_a, reason="补录活动积分")
    points_adjust(retailer_id=retailer_a.pk, points=-5, user=supervisor_a, reason="多记")

    assert balance_of(retailer_a) == 20
    assert list(PointsEntry.objects.order_by("id").values_list("points", "note", "created_by")) == [
        (25, "补录活动积分", supervisor_a.pk),
        (-5, "多记", supervisor_a.pk),
    ]


def test_the_database_refuses_entries_and_lots_that_name_nothing(retailer_a, fund):
    fund(retailer_a, 10)
    with (
        pytest.raises(IntegrityError, match="account_id"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "INSERT INTO loyalty_pointsentry (account_id, kind, points, note, created_at) "
            "VALUES (999999999, 'adjust', 5, '', now())"
        )
    with pytest.raises(IntegrityError, match="entry_id"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO loyalty_pointslot (entry_id, amount, remaining, expires_on) VALUES (999999999, 5, 5, '2030-01-01')"
        )
    with pytest.raises(InternalError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM loyalty_pointsaccount")  # below the ORM's PROTECT: the trigger
    assert ledger_discrepancies() == []


def test_a_merged_duplicate_hands_its_points_to_the_survivor_keeping_their_dates(
    retailer_a, route_a, supervisor_a, fund
):
    from accounts.dedupe.services import retailer_merge
    from tests.accounts.factories import RetailerFactory

    twin = RetailerFactory(route=route_a)
    fund(retailer_a, 100, Y2026)
    fund(twin, 30, Y2026)
    fund(twin, 20, Y2027)

    retailer_merge(user=supervisor_a, survivor_id=retailer_a.pk, duplicate_id=twin.pk)

    assert (balance_of(retailer_a), balance_of(twin)) == (150, 0)
    moved_in = PointsEntry.objects.filter(
        account__retailer=retailer_a, kind="adjust", message__code="points.merged"
    )
    assert moved_in.first().note_display == f"客户合并：{twin.pk} → {retailer_a.pk}"
    assert sorted(moved_in.values_list("points", "expires_on")) == [(20, Y2027), (30, Y2026)]
    assert ledger_discrepancies() == []
