"""A hypothesis state machine drives random earn / redeem / expire / reverse sequences against the real
database and a small Python model of the lots. After every step: the balance is the sum of the entries and of
the lots' remaining points, never negative, and equal to the model's (so FIFO, expiry and reversal amounts are
exactly what the rules say)."""

import copy
import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from core.errors import ConflictError
from loyalty.earning.services import points_award
from loyalty.ledger.expiry import points_expire
from loyalty.ledger.models import PointsAccount, PointsEntry, PointsLot
from loyalty.ledger.services import points_redeem, points_reverse
from tests.accounts.factories import RetailerFactory
from tests.loyalty.factories import EarnRuleFactory
from tests.sales.factories import OrderFactory

GRACE_DAYS = 30


class LedgerMachine(RuleBasedStateMachine):
    """One fresh retailer per example. `clock` is the day redemptions and expiry runs happen (it only moves
    forward, from today); reversals happen on the real today, as the service does."""

    route = None
    product = None

    @initialize()
    def start(self):
        self.retailer = RetailerFactory(route=self.route)
        self.real_today = timezone.localdate()
        self.clock = self.real_today
        self.lots: dict[int, dict] = {}  # entry id -> {"expires", "amount", "remaining", "expired"}
        self.uses: dict[int, list[tuple[int, int]]] = {}  # debit entry id -> [(lot id, points)]
        self.entries: dict[int, int] = {}  # entry id -> points
        self.reversed: set[int] = set()

    # ---- the model ---------------------------------------------------------------------------------
    @property
    def balance(self) -> int:
        return sum(lot["remaining"] for lot in self.lots.values())

    def _expire_due(self, today):
        for lot in self.lots.values():
            if lot["remaining"] and lot["expires"] < today:
                lot["expired"] += lot["remaining"]
                lot["remaining"] = 0

    def _consume(self, points, prefer=None):
        taken = []
        order = sorted(self.lots, key=lambda i: (i != prefer, self.lots[i]["expires"], i))
        for lot_id in order:
            if not points:
                break
            used = min(points, self.lots[lot_id]["remaining"])
            if used:
                self.lots[lot_id]["remaining"] -= used
                points -= used
                taken.append((lot_id, used))
        return taken

    def _new_entries(self, kind):
        return list(
            PointsEntry.objects.filter(account__retailer=self.retailer, kind=kind)
            .exclude(pk__in=self.entries)
            .order_by("id")
        )

    # ---- the steps ---------------------------------------------------------------------------------
    @rule(cartons=st.integers(1, 60), days_ago=st.integers(0, 500))
    def earn(self, cartons, days_ago):
        day = self.real_today - datetime.timedelta(days=days_ago)
        order = OrderFactory(
            retailer=self.retailer,
            ordered_on=day,
            lines={self.product: cartons},
            price_fen=6200,
            summaries=False,  # points are earned from the orders
        )
        points_award(first_order_id=order.pk, last_order_id=order.pk)
        (entry,) = self._new_entries("earn")
        assert entry.points == cartons
        assert entry.expires_on == datetime.date(day.year + 1, 12, 31)
        self.entries[entry.pk] = entry.points
        self.lots[entry.pk] = {
            "expires": entry.expires_on,
            "amount": cartons,
            "remaining": cartons,
            "expired": 0,
        }

    @rule(points=st.integers(1, 120), days_later=st.integers(0, 5))
    def redeem(self, points, days_later):
        self.clock += datetime.timedelta(days=days_later)
        before = copy.deepcopy(self.lots)
        self._expire_due(self.clock)
        if points > self.balance:
            with pytest.raises(ConflictError):
                points_redeem(retailer_id=self.retailer.pk, points=points, today=self.clock)
            self.lots = before  # the refused redemption rolled back its expiries too
            return
        entry = points_redeem(retailer_id=self.retailer.pk, points=points, today=self.clock)
        self._record_expiries()
        self.entries[entry.pk] = -points
        self.uses[entry.pk] = self._consume(points)

    @rule(days_later=st.sampled_from([0, 1, 30, 90, 180]))
    def expire(self, days_later):
        self.clock += datetime.timedelta(days=days_later)
        before = self.balance
        self._expire_due(self.clock)
        result = points_expire(today=self.clock)
        assert result["points"] >= before - self.balance  # other examples' retailers may expire too
        self._record_expiries()
        assert points_expire(today=self.clock)["lots"] == 0  # a second run expires nothing

    @rule(data=st.data())
    def reverse(self, data):
        if not self.entries:
            return
        entry_id = data.draw(st.sampled_from(sorted(self.entries)))
        original = PointsEntry.objects.get(pk=entry_id)
        before = copy.deepcopy(self.lots)
        self._expire_due(self.real_today)
        expected_error = None
        if original.kind == "reverse":
            expected_error = "不能再冲正"
        elif entry_id in self.reversed:
            expected_error = "已经冲正过"
        elif original.points > 0:
            amount = original.points - self.lots[entry_id]["expired"]
            if amount <= 0:
                expected_error = "全部过期"
            elif amount > self.balance:
                expected_error = "积分不足"
        if expected_error:
            with pytest.raises(ConflictError, match=expected_error):
                points_reverse(entry_id=entry_id, user=None, reason="", allow_redemption=True)
            self.lots = before  # the refused reversal rolled back its expiries too
            return
        reversal = points_reverse(entry_id=entry_id, user=None, reason="", allow_redemption=True)
        self._record_expiries()
        self.reversed.add(entry_id)
        self.entries[reversal.pk] = reversal.points
        if original.points > 0:
            assert reversal.points == -(original.points - self.lots[entry_id]["expired"])
            self.uses[reversal.pk] = self._consume(-reversal.points, prefer=entry_id)
        else:
            if original.kind == "expire":
                latest = self.lots[original.lot_id]["expires"]
            else:
                latest = max(self.lots[lot]["expires"] for lot, _points in self.uses[entry_id])
            expires = max(latest, self.real_today + datetime.timedelta(days=GRACE_DAYS))
            assert (reversal.points, reversal.expires_on) == (-original.points, expires)
            self.lots[reversal.pk] = {
                "expires": expires,
                "amount": reversal.points,
                "remaining": reversal.points,
                "expired": 0,
            }

    def _record_expiries(self):
        for entry in self._new_entries("expire"):
            assert entry.points == -self.lots[entry.lot_id]["expired"]
            self.entries[entry.pk] = entry.points

    # ---- after every step ------------------------------------------------------------------------
    @invariant()
    def balance_is_the_sum_of_entries_and_never_negative(self):
        if not hasattr(self, "retailer"):
            return
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT a.balance,
                       (SELECT coalesce(sum(points), 0) FROM loyalty_pointsentry e WHERE e.account_id = a.id),
                       (SELECT coalesce(sum(remaining), 0) FROM loyalty_pointslot l
                         JOIN loyalty_pointsentry e ON e.id = l.entry_id WHERE e.account_id = a.id)
                FROM loyalty_pointsaccount a WHERE a.retailer_id = %s
                """,
                [self.retailer.pk],
            )
            row = cursor.fetchone() or (0, 0, 0)
        balance, entries, lots = row
        assert balance == entries == lots == self.balance
        assert balance >= 0
        assert sum(self.entries.values()) == balance
        remaining = dict(
            PointsLot.objects.filter(entry__account__retailer=self.retailer).values_list(
                "entry_id", "remaining"
            )
        )
        assert remaining == {lot_id: lot["remaining"] for lot_id, lot in self.lots.items()}


def test_random_ledger_sequences_keep_the_balance_exact(db, route_a, products):
    EarnRuleFactory(
        name="按条积分", basis="carton", points_per_unit=Decimal(1), valid_from=datetime.date(2000, 1, 1)
    )
    LedgerMachine.route = route_a
    LedgerMachine.product = products["SX"]
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert PointsAccount.objects.count() >= 1
