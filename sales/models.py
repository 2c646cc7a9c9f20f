"""Products (品规), price classes, orders and their lines, per-retailer period summaries and per-retailer
product weeks. The allocation's models live in sales/allocation/models.py and are imported below so Django
finds them."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer

# the allocation's models, imported so Django registers them with the app (import them from sales.allocation.models;
# they name products and order lines as "sales.Product" and "sales.OrderLine", so importing them first is safe)
from sales.allocation.models import AllocationAllowance, AllocationExcess, AllocationPlan, AllocationRule

__all__ = [
    "PRICE_CLASSES",
    "AllocationAllowance",
    "AllocationExcess",
    "AllocationPlan",
    "AllocationRule",
    "Order",
    "OrderLine",
    "OrderNumber",
    "PriceClassBand",
    "Product",
    "RetailerPeriodSummary",
    "RetailerProductSummary",
]

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
    """One weekly order of a retailer, as the ordering platform reports it.

    Order history is partitioned by month in PostgreSQL (sales_order, sales_orderline and both summaries:
    declarative RANGE partitions on the order day, one table a month, see sales/partitions.py and migration 0007).
    A partitioned table's primary key and unique keys must contain the partition key, so in the database the
    primary key is (id, ordered_on); in Django `id` stays the primary key (`order.pk`, the admin, the API, URLs and
    every `order_id` keep working): ids come from one sequence over all months, so `id` alone is still unique. Why
    not Django 5.2's CompositePrimaryKey: `pk` would become a tuple, which the admin's change URLs, the API's
    serializers, ForeignKeys to Order (a composite primary key cannot be the target of a ForeignKey in 5.2) and
    every `order_id` column would have to follow.

    "An order number is unique per source" cannot be a unique index on sales_order (it would have to contain the
    day): sales_ordernumber (OrderNumber below) holds one row per order, kept by statement triggers on sales_order
    (ENABLE ALWAYS: the demo's replica-mode COPY fills it too), and its primary key refuses a second order with
    the same number. The order's lines reference it by (order_id, ordered_on), a composite foreign key; the
    complaints and the points ledger check their order_id by statement triggers (feedback 0017, loyalty 0006)."""

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
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="order_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["retailer", "-ordered_on"], name="order_retailer_date")]

    def __str__(self):
        return self.order_no


class OrderNumber(models.Model):
    """The order numbers in use, one row per order, unpartitioned: "an order number is unique per source" is its
    primary key, which a monthly-partitioned sales_order cannot hold. Written only by the statement triggers on
    sales_order (migration 0007): an INSERT of orders adds their numbers (a duplicate fails the statement with
    a unique violation, as the unique index on sales_order did), an UPDATE of the number, source or day moves it,
    a DELETE or TRUNCATE removes it. The imports find existing orders through it."""

    order_id = models.BigIntegerField(primary_key=True)
    source = models.CharField(max_length=10)
    order_no = models.CharField(max_length=40)
    ordered_on = models.DateField()

    class Meta:
        verbose_name = _("订单号")
        verbose_name_plural = _("订单号")
        constraints = [
            models.UniqueConstraint(fields=["source", "order_no"], name="order_unique_number_per_source"),
        ]

    def __str__(self):
        return f"{self.source}:{self.order_no}"


class OrderLine(models.Model):
    """A product on an order. `ordered_on` is the order's day, repeated: the lines are partitioned by month on it
    (so a window of days reads only its months' lines), and the database's foreign key to the order is
    (order_id, ordered_on) -> sales_order (id, ordered_on), ON UPDATE CASCADE (a re-dated order moves its lines),
    declared in migration 0007 because Django 5.2 has no composite foreign key: `order` below is the same key for
    the ORM (db_constraint=False). Every writer sets it (the import, the demo, the factories); a line whose day is
    not its order's is refused by that key."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_constraint=False)
    ordered_on = models.DateField(_("订货日期"), editable=False)
    product = models.ForeignKey(Product, verbose_name=_("品规"), on_delete=models.PROTECT, related_name="+")
    cartons = models.PositiveIntegerField(_("条数"), validators=[MinValueValidator(1)])
    unit_price_fen = models.PositiveIntegerField(_("单价(分/条)"))
    amount_fen = models.BigIntegerField(_("金额(分)"))

    class Meta:
        verbose_name = _("订单明细")
        verbose_name_plural = _("订单明细")
        constraints = [
            # the day belongs to the order: with it, "one line per order and product" is a key of the partitions
            models.UniqueConstraint(
                fields=["order", "product", "ordered_on"], name="orderline_one_per_product"
            ),
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
