"""Allocation (货源投放): a scarce product's carton limits per order cycle, their rules, the per-retailer
allowances a publication freezes and the order lines found over them."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer


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

    product = models.ForeignKey(
        "sales.Product", verbose_name=_("品规"), on_delete=models.PROTECT, related_name="+"
    )
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
    # the database's key is (order_line_id, ordered_on) -> sales_orderline (id, ordered_on), ON UPDATE CASCADE
    # (the lines are partitioned by month: sales migration 0007); Django 5.2 declares no composite key
    order_line = models.OneToOneField(
        "sales.OrderLine", on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
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
