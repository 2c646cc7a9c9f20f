"""Loyalty: membership levels, the points ledger (accounts, entries, lots), earn rules, rewards and their
redemptions, referrals, coupons, and the events other apps follow.

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
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from core.messages import SystemText, system_message_field
from sales.models import PRICE_CLASSES, Order, Product


class Programme(models.Model):
    """The programme's settings (one row, editable in the admin; `services.programme_get` creates it)."""

    class LevelBasis(models.TextChoices):
        AMOUNT = "amount", _("按进货金额")
        ORDERS = "orders", _("按订单数")
        EITHER = "either", _("金额或订单数达到其一")
        BOTH = "both", _("金额和订单数都达到")

    level_basis = models.CharField(
        _("会员等级依据"), max_length=10, choices=LevelBasis.choices, default=LevelBasis.AMOUNT
    )
    level_window_months = models.PositiveSmallIntegerField(
        _("等级统计月数"),
        default=12,
        validators=[MinValueValidator(1)],
        help_text=_("当月及之前若干个月（共此月数）的进货金额和订单数。"),
    )
    expiry_years = models.PositiveSmallIntegerField(
        _("积分有效年数"),
        default=1,
        help_text=_("某年获得的积分在其后第 N 年的 12 月 31 日到期；1 即次年年底。"),
    )
    expiry_notice_days = models.PositiveSmallIntegerField(
        _("到期提醒天数"), default=30, help_text=_("积分到期前此天数内提醒客户（通过营销活动发送）。")
    )
    refund_grace_days = models.PositiveSmallIntegerField(
        _("退还积分宽限天数"),
        default=30,
        help_text=_("取消兑换退还的积分沿用原到期日；原到期日已过或临近时，至少保留此天数。"),
    )
    referral_orders_required = models.PositiveSmallIntegerField(
        _("推荐奖励所需订单数"), default=3, validators=[MinValueValidator(1)]
    )
    referral_points = models.PositiveIntegerField(
        _("推荐奖励积分"), default=500, validators=[MinValueValidator(1)]
    )
    referral_new_shop_days = models.PositiveSmallIntegerField(
        _("新店认定天数"), default=180, help_text=_("被推荐店铺的许可证须在此天数内发证。")
    )
    fen_per_point = models.PositiveIntegerField(
        _("每积分价值(分)"), default=1, help_text=_("财务计提积分负债时每 1 积分折合的金额。")
    )
    link_max_age_days = models.PositiveSmallIntegerField(
        _("客户链接有效天数"), default=30, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("积分计划设置")
        verbose_name_plural = _("积分计划设置")

    def __str__(self):
        return str(_("积分计划设置"))


class MembershipLevel(models.Model):
    """A membership level (铜卡, 银卡, 金卡, 钻石…). A retailer holds the highest active level whose thresholds
    its rolling figures reach, by the programme's basis. The level of rank 0 has no threshold: everyone."""

    code = models.SlugField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=20)
    rank = models.PositiveSmallIntegerField(_("级别"), unique=True, help_text=_("越大越高。"))
    min_amount_fen = models.BigIntegerField(_("进货金额门槛(分)"), default=0)
    min_orders = models.PositiveIntegerField(_("订单数门槛"), default=0)
    points_multiplier = models.DecimalField(_("积分倍数"), max_digits=4, decimal_places=2, default=1)
    benefits = models.TextField(_("会员权益"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("会员等级")
        verbose_name_plural = _("会员等级")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(condition=Q(points_multiplier__gt=0), name="level_multiplier_positive"),
            models.CheckConstraint(condition=Q(min_amount_fen__gte=0), name="level_min_amount_not_negative"),
        ]

    def __str__(self):
        return self.name


class PointsAccount(models.Model):
    """A retailer's points: the balance (the sum of its entries), its level and the figures that set it."""

    retailer = models.OneToOneField(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.IntegerField(_("积分余额"), default=0)
    level = models.ForeignKey(
        MembershipLevel,
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


class EarnRule(models.Model):
    """How an order earns points: per carton or per yuan of every line, times the line's multiplier (the
    highest of the rule's multipliers that apply to the product on the order date), summed over the order,
    times the retailer's level multiplier if the rule says so, rounded down, capped per order.

    Each active rule valid on the order date makes one earn entry per order: several rules (a base rule and a
    quarter's bonus rule) earn separately, each exactly once."""

    class Basis(models.TextChoices):
        CARTON = "carton", _("按条")
        YUAN = "yuan", _("按金额(元)")

    name = models.CharField(_("名称"), max_length=50)
    basis = models.CharField(_("计分方式"), max_length=10, choices=Basis.choices, default=Basis.CARTON)
    points_per_unit = models.DecimalField(
        _("每单位积分"), max_digits=10, decimal_places=4, help_text=_("每条或每元得多少积分，可为小数。")
    )
    valid_from = models.DateField(_("适用订单起始日"))
    valid_to = models.DateField(_("适用订单截止日"), null=True, blank=True)
    max_points_per_order = models.PositiveIntegerField(_("每单积分上限"), null=True, blank=True)
    uses_level_multiplier = models.BooleanField(_("乘会员等级倍数"), default=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分规则")
        verbose_name_plural = _("积分规则")
        ordering = ["valid_from", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points_per_unit__gt=0), name="earnrule_rate_positive"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="earnrule_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class EarnMultiplier(models.Model):
    """A line multiplier of a rule for one product or one price class, optionally within dates. A
    brand-cultivation programme (品牌培育) is a product multiplier with the programme's dates and its name as
    the label, until visits/ owns programmes. Multipliers do not stack: the highest that applies wins."""

    rule = models.ForeignKey(
        EarnRule, verbose_name=_("积分规则"), on_delete=models.CASCADE, related_name="multipliers"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("品规"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    price_class = models.PositiveSmallIntegerField(_("价类"), choices=PRICE_CLASSES, null=True, blank=True)
    multiplier = models.DecimalField(_("倍数"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("起始日"), null=True, blank=True)
    valid_to = models.DateField(_("截止日"), null=True, blank=True)
    label = models.CharField(
        _("说明"), max_length=100, blank=True, help_text=_("例如：品牌培育·黄金叶(天叶)")
    )

    class Meta:
        verbose_name = _("积分倍数")
        verbose_name_plural = _("积分倍数")
        constraints = [
            models.CheckConstraint(condition=Q(multiplier__gt=0), name="multiplier_positive"),
            models.CheckConstraint(
                condition=Q(product__isnull=False, price_class__isnull=True)
                | Q(product__isnull=True, price_class__isnull=False),
                name="multiplier_product_or_class",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=F("valid_from")),
                name="multiplier_dates_ordered",
            ),
        ]

    def __str__(self):
        target = self.product or self.get_price_class_display()
        return f"{target} ×{self.multiplier}"


def _key_check(table: str, column: str, target: str, target_column: str, *, probe: bool) -> str:
    """Refuse the statement if a new row names a missing target row. A small target table (accounts, rules,
    users) is hashed once; a growing one (entries, lots) is probed per row that names one, which the award's
    rows never do. (count(*), not EXISTS: EXISTS would be planned for its first row, a probe per row.)"""
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


# Foreign keys of the ledger, checked once per INSERT statement over all its rows (see PointsEntry.account).
# The order key is not checked: probing 100k orders costs as much as the award itself, and orders are never
# deleted (PROTECT; a re-import keeps the order's row and id).
ENTRY_KEYS_CHECK = (
    "".join(
        _key_check("loyalty_pointsentry", column, target, target_column, probe=probe)
        for column, target, target_column, probe in (
            ("account_id", "loyalty_pointsaccount", "id", False),
            ("rule_id", "loyalty_earnrule", "id", False),
            ("lot_id", "loyalty_pointslot", "entry_id", True),
            ("reverses_id", "loyalty_pointsentry", "id", True),
            ("created_by_id", "users_user", "id", False),
        )
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
    # `entry_keys_exist` (one anti-join over the new rows) instead of one lookup and row lock per row and key;
    # accounts and entries can never be deleted (triggers), so a key checked at insert stays valid. (Rules and
    # users are deleted by nobody: PROTECT; the demo flush TRUNCATEs the ledger first.)
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


class LevelChange(models.Model):
    """One change of a retailer's level by the nightly recompute (append-only history)."""

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("积分账户"), on_delete=models.PROTECT, related_name="level_changes"
    )
    from_level = models.ForeignKey(
        MembershipLevel,
        verbose_name=_("原等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_level = models.ForeignKey(
        MembershipLevel,
        verbose_name=_("新等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    changed_on = models.DateField(_("日期"))
    rolling_amount_fen = models.BigIntegerField(_("统计期进货金额(分)"))
    rolling_orders = models.PositiveIntegerField(_("统计期订单数"))
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("等级变动")
        verbose_name_plural = _("等级变动")
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "-id"], name="levelchange_account")]

    def __str__(self):
        return f"{self.account_id}: {self.from_level_id} → {self.to_level_id}"


class Reward(models.Model):
    """An item of the rewards catalog."""

    class Kind(models.TextChoices):
        GOODS = "goods", _("实物")
        DISCOUNT = "discount", _("折扣抵扣")
        SERVICE = "service", _("服务")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.GOODS)
    description = models.TextField(_("说明"), blank=True)
    points_price = models.PositiveIntegerField(_("所需积分"), validators=[MinValueValidator(1)])
    stock = models.PositiveIntegerField(_("库存"), null=True, blank=True, help_text=_("留空表示不限量。"))
    levels = models.ManyToManyField(
        MembershipLevel,
        verbose_name=_("可兑换等级"),
        blank=True,
        related_name="+",
        help_text=_("不选表示所有等级（含未定级）都可兑换。"),
    )
    valid_from = models.DateField(_("兑换起始日"), null=True, blank=True)
    valid_to = models.DateField(_("兑换截止日"), null=True, blank=True)
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("兑换礼品")
        verbose_name_plural = _("兑换礼品")
        ordering = ["points_price", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(points_price__gt=0), name="reward_price_positive"),
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="reward_stock_not_negative"
            ),
        ]

    def __str__(self):
        return self.name


class Redemption(models.Model):
    """A retailer's request for a reward, paid in points when requested; cancelling refunds them."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("已申请")
        APPROVED = "approved", _("已审核")
        DELIVERED = "delivered", _("已兑付")
        CANCELLED = "cancelled", _("已取消")

    class Channel(models.TextChoices):
        STAFF = "staff", _("客户经理代办")
        LINK = "link", _("客户自助")
        API = "api", _("接口")

    account = models.ForeignKey(
        PointsAccount, verbose_name=_("积分账户"), on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(
        Reward, verbose_name=_("礼品"), on_delete=models.PROTECT, related_name="redemptions"
    )
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1, validators=[MinValueValidator(1)])
    points = models.PositiveIntegerField(_("积分"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices, default=Channel.STAFF)
    entry = models.OneToOneField(
        PointsEntry, verbose_name=_("扣分记录"), on_delete=models.PROTECT, related_name="redemption"
    )
    refund_entry = models.OneToOneField(
        PointsEntry,
        verbose_name=_("退分记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="refunded_redemption",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("兑付时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="redemption_points_positive"),
            models.CheckConstraint(
                condition=Q(status="cancelled", refund_entry__isnull=False)
                | (~Q(status="cancelled") & Q(refund_entry__isnull=True)),
                name="redemption_refund_iff_cancelled",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-id"], name="redemption_status"),
            models.Index(fields=["account", "-id"], name="redemption_account"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.reward_id}×{self.quantity}"


class Referral(models.Model):
    """A retailer referred a newly licensed shop; the referrer is rewarded once the shop's first orders land."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待达成")
        REWARDED = "rewarded", _("已奖励")
        CANCELLED = "cancelled", _("已取消")

    referrer = models.ForeignKey(
        Retailer, verbose_name=_("推荐人"), on_delete=models.PROTECT, related_name="+"
    )
    referee = models.OneToOneField(
        Retailer, verbose_name=_("被推荐新店"), on_delete=models.PROTECT, related_name="referral_received"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    orders_required = models.PositiveSmallIntegerField(_("所需订单数"))
    points = models.PositiveIntegerField(_("奖励积分"))
    entry = models.OneToOneField(
        PointsEntry,
        verbose_name=_("奖励记录"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referral",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    rewarded_at = models.DateTimeField(_("奖励时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("推荐新店")
        verbose_name_plural = _("推荐新店")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referee")), name="referral_not_self"),
            models.CheckConstraint(
                condition=Q(status="rewarded", entry__isnull=False)
                | (~Q(status="rewarded") & Q(entry__isnull=True)),
                name="referral_entry_iff_rewarded",
            ),
        ]
        indexes = [models.Index(fields=["status"], condition=Q(status="pending"), name="referral_pending")]

    def __str__(self):
        return f"{self.referrer_id} → {self.referee_id}"


class CouponBatch(models.Model):
    """Coupons issued together: to a list of retailers (a segment's members) or by a campaign."""

    class Kind(models.TextChoices):
        AMOUNT_OFF = "amount_off", _("抵扣金额")
        GIFT = "gift", _("礼品")
        SERVICE = "service", _("服务")

    name = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.AMOUNT_OFF)
    value_fen = models.PositiveIntegerField(_("面值(分)"), default=0, help_text=_("抵扣金额券的面值。"))
    description = models.CharField(_("说明"), max_length=200, blank=True)
    expires_on = models.DateField(_("有效期至"))
    source = models.CharField(
        _("来源"), max_length=60, blank=True, help_text=_("例如 campaign:12 或 segment:3，由发放方填写。")
    )
    issued_count = models.PositiveIntegerField(_("发放张数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发放人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("发放时间"), default=timezone.now)

    class Meta:
        verbose_name = _("优惠券批次")
        verbose_name_plural = _("优惠券批次")
        ordering = ["-id"]

    def __str__(self):
        return self.name


class Coupon(models.Model):
    """One coupon of one retailer: a unique code, redeemable once before it expires."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("未使用")
        REDEEMED = "redeemed", _("已使用")
        VOID = "void", _("已作废")

    batch = models.ForeignKey(
        CouponBatch, verbose_name=_("批次"), on_delete=models.PROTECT, related_name="coupons"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    code = models.CharField(_("券码"), max_length=12, unique=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    expires_on = models.DateField(_("有效期至"))
    issued_at = models.DateTimeField(_("发放时间"), default=timezone.now)
    redeemed_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("优惠券")
        verbose_name_plural = _("优惠券")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "retailer"], name="coupon_once_per_batch_retailer"),
            models.CheckConstraint(
                condition=Q(status="redeemed", redeemed_at__isnull=False)
                | (~Q(status="redeemed") & Q(redeemed_at__isnull=True)),
                name="coupon_redeemed_has_time",
            ),
        ]
        indexes = [models.Index(fields=["retailer", "-id"], name="coupon_retailer")]

    def __str__(self):
        return self.code


class LoyaltyEvent(models.Model):
    """Something other apps react to (campaigns send the notices): points about to expire (once per account
    and expiry date), a level change, a referral rewarded. Append-only; consumers read in id order after a
    cursor they keep (selectors.loyalty_events_after)."""

    class Kind(models.TextChoices):
        POINTS_EXPIRING = "points_expiring", _("积分即将到期")
        LEVEL_CHANGED = "level_changed", _("会员等级变动")
        REFERRAL_REWARDED = "referral_rewarded", _("推荐奖励到账")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    ref_date = models.DateField(_("相关日期"), null=True, blank=True, help_text=_("积分到期事件：到期日。"))
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分事件")
        verbose_name_plural = _("积分事件")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "kind", "ref_date"],
                condition=Q(kind="points_expiring"),
                name="loyaltyevent_expiry_notice_once",
            ),
        ]
        indexes = [models.Index(fields=["kind", "id"], name="loyaltyevent_kind")]

    def __str__(self):
        return f"{self.retailer_id} {self.kind}"
