"""How orders earn points: earn rules and their line multipliers."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sales.models import PRICE_CLASSES, Product


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
