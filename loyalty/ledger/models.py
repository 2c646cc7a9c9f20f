"""The points ledger: accounts, entries, the lots credits open and the lot uses of debits.

The ledger's rules, which the database enforces on its own:
- points are integers; an entry is never updated or deleted (a trigger refuses it): a correction is a new
  entry that reverses another, and an entry is reversed at most once;
- each retailer has one account whose balance is the sum of its entries and never negative (CHECK);
- every credit opens a lot with an expiry date; debits (redemptions, expiry, reversals) consume lots first in,
  first out; a lot's remaining amount stays between 0 and its amount (CHECK);
- an order earns once per earn rule, a lot expires once, a referral pays once (unique constraints), so a
  retried task or a re-imported order never pays twice.
Every write locks the account row first (see services)."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from core.messages import SystemText, system_message_field
from loyalty.earning.models import EarnRule
from sales.models import Order


class PointsAccount(models.Model):
    """A retailer's points: the balance (the sum of its entries), its level and the figures that set it."""

    retailer = models.OneToOneField(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(_("积分余额"), default=0)
    level = models.ForeignKey(
        "loyalty.MembershipLevel",  # by name: levels/ builds on the ledger, not the other way
        verbose_name=_("会员等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    level_since = models.DateField(_("等级起始"), null=True, blank=True)
    rolling_amount_fen = models.BigIntegerField(_("统计期进货金额(分)"), default=0)
    rolling_orders = models.PositiveIntegerField(_("统计期订单数"), default=0)
    level_computed_on = models.DateField(_("等级计算日"), null=True, blank=True)
    created_at = models.DateTimeField(_("开户时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="account_balance_not_negative"),
        ]
        permissions = [
            ("adjust_points", _("调整或冲正积分")),
            ("view_liability", _("查看积分负债")),
        ]
        # entries point at their account without a per-row foreign-key check: an account is never deleted
        triggers = [
            pgtrigger.Protect(name="account_never_deleted", operation=pgtrigger.Delete, when=pgtrigger.Before)
        ]

    def __str__(self):
        return f"{self.retailer_id}: {self.balance}"


def _key_check(table: str, column: str, target: str, target_column: str, *, probe: bool) -> str:
    """Refuse the statement if a new row names a missing target row. A small target table (accounts, rules,
    users) is hashed once; a growing one (orders, entries, lots) is probed per row that names one. (count(*), not EXISTS: EXISTS would be planned for its first row, a probe per row.)"""
    missing = (
        f"(SELECT t.{target_column} FROM {target} t WHERE t.{target_column} = n.{column}) IS NULL"
        if probe
        else f"NOT EXISTS (SELECT 1 FROM {target} t WHERE t.{target_column} = n.{column})"
    )
    return f"""
        IF (SELECT count(*) FROM new_rows n WHERE n.{column} IS NOT NULL AND {missing}) > 0 THEN
          RAISE EXCEPTION 'insert into {table} violates its foreign key {column} -> {target}'
            USING ERRCODE = 'foreign_key_violation';
        END IF;"""


# Foreign keys of the ledger, checked once per INSERT statement over all its rows by the triggers
# `entry_keys_exist` and `lot_keys_exist` below, instead of real foreign-key constraints. Why not real ones:
# PostgreSQL checks a foreign key row by row, with an index lookup and a FOR KEY SHARE lock on the referenced
# row, and the award writes ~100k entries and ~100k lots in one statement: even these per-statement checks cost
# as much as the insert itself (AWARD_ENTRIES_SQL), per-row ones cost more, against `bench loyalty`'s target of
# award ÷ COPY ≤ 2; and the share locks would write into the row header of every awarded order and account. A statement trigger does one pass over the new rows
# instead, and the award, whose keys are right by construction, skips it for its own insert
# (AWARD_KEYS_CHECKED_BY_CONSTRUCTION in loyalty/earning/services.py).
# Every key column is checked here, the order included (only earn entries name an order, CHECK
# entry_earn_has_order_and_rule, and only the award writes them, so checking it costs the award nothing). What a trigger on INSERT cannot do is refuse the delete of
# a referenced row: accounts, entries and lots refuse DELETE by their own triggers; earn rules, orders and users
# are deleted by no code (the ORM's PROTECT refuses it, an order re-import updates the order's row in place) and
# the demo flush TRUNCATEs the ledger before the orders (crm/management/commands/seed_demo.py).
# tests/loyalty/test_ledger_keys.py inserts a bad key into each column listed here and into the lot's entry.
ENTRY_KEYS = (
    # (column, target table, target column, probe: per-row index probe of a growing table, else one anti-join)
    ("account_id", "loyalty_pointsaccount", "id", False),
    ("order_id", "sales_order", "id", True),
    ("rule_id", "loyalty_earnrule", "id", False),
    ("lot_id", "loyalty_pointslot", "entry_id", True),
    ("reverses_id", "loyalty_pointsentry", "id", True),
    ("created_by_id", "users_user", "id", False),
)
ENTRY_KEYS_CHECK = (
    "".join(
        _key_check("loyalty_pointsentry", column, target, target_column, probe=probe)
        for column, target, target_column, probe in ENTRY_KEYS
    )
    + " RETURN NULL;"
)


LOT_KEYS_CHECK = """
    IF (SELECT count(*) FROM new_rows n
        WHERE (SELECT e.id FROM loyalty_pointsentry e WHERE e.id = n.entry_id) IS NULL) > 0 THEN
      RAISE EXCEPTION 'insert into loyalty_pointslot violates its foreign key entry_id -> loyalty_pointsentry'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;"""


def _keys_check_trigger(name: str, func: str) -> pgtrigger.Trigger:
    """After each INSERT statement, check every new row's keys at once (instead of a foreign-key lookup per row)."""
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=pgtrigger.Insert,
        referencing=pgtrigger.Referencing(new="new_rows"),
        func=func,
    )


class PointsEntry(models.Model):
    """One line of the ledger. Append-only: the database refuses UPDATE and DELETE of a row."""

    class Kind(models.TextChoices):
        EARN = "earn", _("订货积分")
        REDEEM = "redeem", _("兑换")
        EXPIRE = "expire", _("过期")
        ADJUST = "adjust", _("调整")
        REVERSE = "reverse", _("冲正")
        REFERRAL = "referral", _("推荐奖励")

    CREDIT_KINDS = (Kind.EARN, Kind.REFERRAL)
    DEBIT_KINDS = (Kind.REDEEM, Kind.EXPIRE)

    # The award writes ~100k entries in one statement. Only the indexes the ledger reads by exist (account,
    # order+rule, lot, reversed entry), and the foreign keys are checked once per statement by the trigger
    # `entry_keys_exist` (one anti-join over the new rows) instead of one lookup and row lock per row and key:
    # why, and what keeps a checked key valid afterwards, is said above ENTRY_KEYS.
    account = models.ForeignKey(
        PointsAccount,
        verbose_name=_("积分账户"),
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
        db_constraint=False,
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("积分"))
    expires_on = models.DateField(_("到期日"), null=True, blank=True, help_text=_("入账积分的到期日。"))
    order = models.ForeignKey(
        Order,
        verbose_name=_("订单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    rule = models.ForeignKey(
        EarnRule,
        verbose_name=_("积分规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    lot = models.ForeignKey(
        "PointsLot",
        verbose_name=_("过期批次"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
        help_text=_("过期记录：过期的是哪一笔积分。"),
    )
    reverses = models.ForeignKey(
        "self",
        verbose_name=_("冲正的记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)
    message = system_message_field()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分明细")
        verbose_name_plural = _("积分明细")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["earn", "referral"], points__gt=0)
                | Q(kind__in=["redeem", "expire"], points__lt=0)
                | (Q(kind__in=["adjust", "reverse"]) & ~Q(points=0)),
                name="entry_sign_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="earn", order__isnull=False, rule__isnull=False)
                | (~Q(kind="earn") & Q(order__isnull=True, rule__isnull=True)),
                name="entry_earn_has_order_and_rule",
            ),
            models.CheckConstraint(
                condition=Q(kind="expire", lot__isnull=False) | (~Q(kind="expire") & Q(lot__isnull=True)),
                name="entry_expire_names_its_lot",
            ),
            models.CheckConstraint(
                condition=Q(kind="reverse", reverses__isnull=False)
                | (~Q(kind="reverse") & Q(reverses__isnull=True)),
                name="entry_reverse_names_its_entry",
            ),
            # exactly once: an order earns once per rule, a lot expires once
            # (not partial: other kinds have no order, and NULLs never collide)
            models.UniqueConstraint(fields=["order", "rule"], name="entry_earn_once_per_order_rule"),
            models.UniqueConstraint(
                fields=["lot"], condition=Q(kind="expire"), name="entry_expire_once_per_lot"
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(reverses__isnull=False), name="entry_reversed_at_most_once"
            ),
        ]
        indexes = [models.Index(fields=["account", "-id"], name="entry_account_recent")]
        triggers = [
            pgtrigger.Protect(
                name="entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete, when=pgtrigger.Before
            ),
            _keys_check_trigger("entry_keys_exist", ENTRY_KEYS_CHECK),
        ]

    def __str__(self):
        return f"{self.account_id} {self.kind} {self.points:+d}"

    # the entry's description in the reader's language: a system-written one from its code, a person's note as
    # written (entries written before the codes keep the words they were written in: the ledger is never updated)
    note_display = SystemText("note")


class PointsLot(models.Model):
    """The points one credit entry brought in, with what is left of them and when they expire. Debits take
    from the lots that expire first (then the oldest)."""

    # The lot belongs to its entry's account (no copy here: one index fewer to write ~100k times per award;
    # an account's open lots are found through its entries). The key is checked per statement (`lot_keys_exist`).
    entry = models.OneToOneField(
        PointsEntry,
        verbose_name=_("入账记录"),
        primary_key=True,
        on_delete=models.PROTECT,
        related_name="lot_opened",
        db_constraint=False,
    )
    amount = models.IntegerField(_("入账积分"))
    remaining = models.IntegerField(_("剩余积分"))
    expires_on = models.DateField(_("到期日"))

    class Meta:
        verbose_name = _("积分批次")
        verbose_name_plural = _("积分批次")
        ordering = ["expires_on", "entry"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="lot_amount_positive"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=F("amount")),
                name="lot_remaining_within_amount",
            ),
        ]
        # no index but the key: FIFO reads one account's lots through its entries, the nightly expiry scans
        triggers = [
            _keys_check_trigger("lot_keys_exist", LOT_KEYS_CHECK),
        ]

    def __str__(self):
        return f"{self.entry_id}: {self.remaining}/{self.amount} → {self.expires_on}"


class PointsLotUse(models.Model):
    """Which lots a debit took its points from (append-only), so a refund knows their expiry dates."""

    entry = models.ForeignKey(PointsEntry, on_delete=models.PROTECT, related_name="lot_uses", db_index=False)
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="uses")
    points = models.IntegerField()

    class Meta:
        verbose_name = _("积分批次使用")
        verbose_name_plural = _("积分批次使用")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lotuse_points_positive"),
            models.UniqueConstraint(fields=["entry", "lot"], name="lotuse_once_per_entry_lot"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="lotuse_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
                when=pgtrigger.Before,
            )
        ]

    def __str__(self):
        return f"{self.entry_id} ← {self.lot_id}: {self.points}"
