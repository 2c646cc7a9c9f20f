"""Products (品规), price classes, orders and their lines, per-retailer period summaries and per-retailer
product weeks."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer

PRICE_CLASSES = [(1, _("一类")), (2, _("二类")), (3, _("三类")), (4, _("四类")), (5, _("五类"))]


class PriceClassBand(models.Model):
    """Wholesale price per carton (in fen) that puts a product in a price class, from a date on. Bands differ
    by province and year, so they are rows, not constants."""

    price_class = models.PositiveSmallIntegerField(_("价类"), choices=PRICE_CLASSES)
    min_wholesale_fen = models.PositiveIntegerField(_("批发价下限(分/条，含)"))
    max_wholesale_fen = models.PositiveIntegerField(_("批发价上限(分/条，不含)"), null=True, blank=True)
    effective_from = models.DateField(_("生效日期"))

    class Meta:
        verbose_name = _("价类区间")
        verbose_name_plural = _("价类区间")
        ordering = ["-effective_from", "price_class"]
        constraints = [
            models.UniqueConstraint(
                fields=["effective_from", "price_class"], name="priceband_unique_class_per_date"
            ),
            models.CheckConstraint(
                condition=Q(max_wholesale_fen__isnull=True) | Q(max_wholesale_fen__gt=F("min_wholesale_fen")),
                name="priceband_max_above_min",
            ),
        ]

    def __str__(self):
        return f"{self.get_price_class_display()} {self.effective_from}"


class Product(models.Model):
    """A cigarette SKU (品规); prices are per carton (条, 200 sticks) in fen."""

    class Status(models.TextChoices):
        TRIAL = "trial", _("试销")
        ACTIVE = "active", _("正常")
        WITHDRAWN = "withdrawn", _("退市")

    code = models.CharField(_("卷烟编码"), max_length=20, unique=True)
    brand = models.CharField(_("品牌"), max_length=50)
    name = models.CharField(_("规格名称"), max_length=100)
    manufacturer = models.CharField(_("生产企业"), max_length=100, blank=True)
    wholesale_price_fen = models.PositiveIntegerField(_("批发价(分/条)"), validators=[MinValueValidator(1)])
    retail_price_fen = models.PositiveIntegerField(_("建议零售价(分/条)"), validators=[MinValueValidator(1)])
    price_class = models.PositiveSmallIntegerField(_("价类"), choices=PRICE_CLASSES, null=True, blank=True)
    tar_mg = models.DecimalField(
        _("焦油量(mg)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(20)],
    )
    is_in_province = models.BooleanField(_("省内品牌"), default=False)
    is_scarce = models.BooleanField(_("紧俏货源"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    trial_started_on = models.DateField(_("试销开始"), null=True, blank=True)
    substitute = models.ForeignKey(
        "self",
        verbose_name=_("替代品规"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replaces",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("卷烟品规")
        verbose_name_plural = _("卷烟品规")
        ordering = ["brand", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(retail_price_fen__gte=F("wholesale_price_fen")),
                name="product_retail_not_below_wholesale",
            ),
            models.CheckConstraint(condition=~Q(substitute=F("id")), name="product_substitute_not_itself"),
        ]

    def __str__(self):
        # most names already carry the brand ("七匹狼（红）"): "七匹狼（七匹狼（红））" says it twice
        if self.name.startswith(self.brand):
            return self.name
        return f"{self.brand}（{self.name}）"


class Order(models.Model):
    """One weekly order of a retailer, as the ordering platform reports it."""

    class Source(models.TextChoices):
        ONLINE = "online", _("网上订货")
        PHONE = "phone", _("电话订货")
        IMPORT = "import", _("文件导入")

    order_no = models.CharField(_("订单号"), max_length=40)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    ordered_on = models.DateField(_("订货日期"))
    cartons = models.PositiveIntegerField(_("条数"))
    amount_fen = models.BigIntegerField(_("金额(分)"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("订单")
        verbose_name_plural = _("订单")
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "order_no"], name="order_unique_number_per_source"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="order_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["retailer", "-ordered_on"], name="order_retailer_date")]

    def __str__(self):
        return self.order_no


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("品规"), on_delete=models.PROTECT, related_name="+")
    cartons = models.PositiveIntegerField(_("条数"), validators=[MinValueValidator(1)])
    unit_price_fen = models.PositiveIntegerField(_("单价(分/条)"))
    amount_fen = models.BigIntegerField(_("金额(分)"))

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="orderline_one_per_product"),
            models.CheckConstraint(condition=Q(cartons__gt=0), name="orderline_cartons_positive"),
            models.CheckConstraint(
                condition=Q(amount_fen=F("cartons") * F("unit_price_fen")),
                name="orderline_amount_is_qty_times_price",
            ),
        ]

    def __str__(self):
        return f"{self.order_id}:{self.product_id}×{self.cartons}"


class RetailerPeriodSummary(models.Model):
    """A retailer's purchases in one week or month, kept current by every order import so that scoring
    never has to rescan all lines."""

    class Period(models.TextChoices):
        WEEK = "week", _("周")
        MONTH = "month", _("月")

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    period = models.CharField(max_length=5, choices=Period.choices)
    period_start = models.DateField()
    order_count = models.PositiveIntegerField(default=0)
    cartons = models.PositiveIntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)
    class1_cartons = models.PositiveIntegerField(default=0)
    class2_cartons = models.PositiveIntegerField(default=0)
    class3_cartons = models.PositiveIntegerField(default=0)
    class4_cartons = models.PositiveIntegerField(default=0)
    class5_cartons = models.PositiveIntegerField(default=0)
    # the first and last order day in the period: scoring reads recency and "ordered between two days" from the
    # weekly rows instead of probing the orders (NULL only on rows written before these were kept)
    first_ordered_on = models.DateField(null=True, blank=True)
    last_ordered_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("客户期间汇总")
        verbose_name_plural = _("客户期间汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "period", "period_start"], name="summary_unique_period"
            ),
        ]
        indexes = [models.Index(fields=["period", "period_start"], name="summary_period_start")]

    def __str__(self):
        return f"{self.retailer_id} {self.period} {self.period_start}"

    @property
    def avg_price_fen(self) -> int:
        """Average price per carton (单条值)."""
        return round(self.amount_fen / self.cartons) if self.cartons else 0


class RetailerProductSummary(models.Model):
    """A retailer's purchases of one product in one week (Monday to Sunday), kept current with the period summaries
    by every write of orders, so that recommendations read these rows instead of joining every order line.

    first/last_ordered_on are the first and last order days in the week with a line of the product: a window whose
    bounds fall inside a week (the scoring run's windows end on any weekday) is still decided exactly, since a
    window of a week or more cannot have both bounds inside one week."""

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+", db_index=False)
    week_start = models.DateField()
    order_count = models.PositiveIntegerField(default=0)
    cartons = models.PositiveIntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)
    first_ordered_on = models.DateField()
    last_ordered_on = models.DateField()

    class Meta:
        verbose_name = _("客户品规周汇总")
        verbose_name_plural = _("客户品规周汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["retailer", "week_start", "product"], name="product_summary_unique_week"
            ),
            models.CheckConstraint(
                condition=Q(first_ordered_on__lte=F("last_ordered_on")), name="product_summary_days_ordered"
            ),
        ]
        indexes = [
            # the nightly run reads a range of weeks; substitutes read a withdrawn product's weeks
            models.Index(fields=["week_start"], name="product_summary_week"),
            models.Index(fields=["product", "week_start"], name="product_summary_product"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.product_id} {self.week_start}"


class AllocationPlan(models.Model):
    """A scarce product's carton limits (货源投放) for one order cycle in one org unit's subtree. A draft is edited,
    previewed against the supply and published; a published plan is locked and only a new version (same product,
    unit and cycle) replaces it, so the history of what each retailer was allowed is kept."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        SUPERSEDED = "superseded", _("已被新版本替代")

    class FrozenFrom(models.TextChoices):
        PUBLISH = "publish", _("发布时冻结")
        MIGRATION = "migration", _("升级时按当时数据补冻结")

    product = models.ForeignKey(Product, verbose_name=_("品规"), on_delete=models.PROTECT, related_name="+")
    org_unit = models.ForeignKey(
        "users.OrgUnit", verbose_name=_("投放单位"), on_delete=models.PROTECT, related_name="+"
    )
    cycle_start = models.DateField(_("周期开始"))
    cycle_end = models.DateField(_("周期结束（含）"))
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    supply_cartons = models.PositiveIntegerField(_("可供货源(条)"), default=0)
    total_allowance = models.PositiveIntegerField(_("发布时总额度(条)"), null=True, blank=True)
    override_reason = models.CharField(_("超量发布原因"), max_length=200, blank=True)
    # where the per-retailer allowances (AllocationAllowance) of a locked plan come from: frozen by the publication,
    # or — for plans published before allowances were frozen — rebuilt once by migration sales 0004 from the data of
    # that day (the set of retailers at publication could no longer be known; total_allowance stays as published)
    frozen_from = models.CharField(_("额度明细来源"), max_length=10, choices=FrozenFrom.choices, blank=True)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        "users.User", verbose_name=_("制定人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        "users.User",
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("货源投放方案")
        verbose_name_plural = _("货源投放方案")
        permissions = [("publish_allocationplan", _("发布货源投放方案"))]
        ordering = ["-cycle_start", "product_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "org_unit", "cycle_start", "version"], name="allocplan_unique_version"
            ),
            models.UniqueConstraint(
                fields=["product", "org_unit", "cycle_start"],
                condition=Q(state="published"),
                name="allocplan_one_published",
            ),
            models.UniqueConstraint(
                fields=["product", "org_unit", "cycle_start"],
                condition=Q(state="draft"),
                name="allocplan_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(cycle_end__gte=F("cycle_start")), name="allocplan_cycle_order"
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(published_at__isnull=False),
                name="allocplan_published_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "cycle_start", "cycle_end"], name="allocplan_state_cycle")]

    def __str__(self):
        return f"{self.product} {self.cycle_start}–{self.cycle_end} v{self.version}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("sales:allocation-detail", args=[self.pk])

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.cycle_start and self.cycle_end and self.cycle_end < self.cycle_start:
            raise ValidationError({"cycle_end": _("周期结束不能早于开始。")})
        if self.cycle_start and self.cycle_end and (self.cycle_end - self.cycle_start).days > 30:
            raise ValidationError({"cycle_end": _("一个订货周期最长 31 天。")})

    @property
    def is_locked(self) -> bool:
        return self.state != self.State.DRAFT


class AllocationRule(models.Model):
    """One row of a plan: retailers of tiers tier_from..tier_to in one market type may order `cartons` per cycle."""

    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="rules")
    tier_from = models.PositiveSmallIntegerField(
        _("档位起"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    tier_to = models.PositiveSmallIntegerField(
        _("档位止"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    market_type = models.CharField(_("市场类型"), max_length=1, choices=Retailer.MarketType.choices)
    cartons = models.PositiveIntegerField(_("限量(条/周期)"))

    class Meta:
        verbose_name = _("投放规则")
        verbose_name_plural = _("投放规则")
        ordering = ["plan_id", "market_type", "-tier_to"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier_from__gte=1) & Q(tier_to__lte=30) & Q(tier_from__lte=F("tier_to")),
                name="allocrule_tier_range",
            ),
        ]

    def __str__(self):
        return f"{self.tier_label} · {self.get_market_type_display()} → {self.cartons}"

    @property
    def tier_label(self) -> str:
        if self.tier_from == self.tier_to:
            return _("档位 %(t)s") % {"t": self.tier_from}
        return _("档位 %(a)s–%(b)s") % {"a": self.tier_from, "b": self.tier_to}


class AllocationAllowance(models.Model):
    """What one retailer was allowed by a published plan, frozen at publication with the rule row that gave it (or
    the reason it got less): a published plan never grows or shrinks when retailers are added, re-tiered or lose
    their licence later; a new version takes such changes in. Written set-based (one INSERT … SELECT per plan)."""

    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="allowances")
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(
        AllocationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    tier = models.PositiveSmallIntegerField(_("档位"), null=True, blank=True)
    market_type = models.CharField(_("市场类型"), max_length=1, choices=Retailer.MarketType.choices)
    reason = models.CharField(_("依据"), max_length=20)
    cartons = models.PositiveIntegerField(_("额度(条)"))

    class Meta:
        verbose_name = _("已发布额度")
        verbose_name_plural = _("已发布额度")
        constraints = [
            models.UniqueConstraint(fields=["plan", "retailer"], name="allocallowance_once_per_plan"),
        ]

    def __str__(self):
        return f"{self.plan_id} {self.retailer_id} {self.cartons}"


class AllocationExcess(models.Model):
    """An order line that took a retailer past its published limit for the cycle (kept set-based by imports and a
    nightly refresh). `excess_cartons` is the part of this line above the limit."""

    plan = models.ForeignKey(AllocationPlan, on_delete=models.CASCADE, related_name="+")
    order_line = models.OneToOneField(OrderLine, on_delete=models.CASCADE, related_name="+")
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    ordered_on = models.DateField(_("订货日期"))
    allowance = models.PositiveIntegerField(_("额度(条)"))
    ordered_to_date = models.PositiveIntegerField(_("周期累计订购(条)"))
    excess_cartons = models.PositiveIntegerField(_("超出(条)"))
    flagged_at = models.DateTimeField(_("发现时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("超额订货")
        verbose_name_plural = _("超额订货")
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(excess_cartons__gt=0), name="allocexcess_positive"),
        ]
        indexes = [models.Index(fields=["retailer", "-ordered_on"], name="allocexcess_retailer")]

    def __str__(self):
        return f"{self.retailer_id} +{self.excess_cartons}"
