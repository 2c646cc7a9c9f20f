"""Brand cultivation programmes, their target retailers, and the stock checks made on visits."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from sales.models import Product
from users.models import OrgUnit
from visits.records.models import Visit


class CultivationProgramme(models.Model):
    """A brand cultivation programme (品牌培育): help one product sell in the shops where its price band already
    sells, between two dates, with goals."""

    name = models.CharField(_("名称"), max_length=100)
    product = models.ForeignKey(
        Product, verbose_name=_("培育品规"), on_delete=models.PROTECT, related_name="+"
    )
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    goal_selling_retailers = models.PositiveIntegerField(
        _("目标：在销客户数"), help_text=_("期内进货该品规的目标客户数。")
    )
    goal_sell_through_pct = models.PositiveIntegerField(
        _("目标：动销率(%)"),
        help_text=_("本期户均进货 ÷ 上期户均进货，例如 150 表示增长到 1.5 倍。"),
    )
    rule_weeks = models.PositiveSmallIntegerField(
        _("规则回看周数"),
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("按规则选客户时：开始前这些周内订过同价类卷烟、却没订过本品规的客户。"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("品牌培育项目")
        verbose_name_plural = _("品牌培育项目")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="cultivation_dates_ordered"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("visits:programme-detail", args=[self.pk])

    def is_running(self, today) -> bool:
        return self.starts_on <= today <= self.ends_on


class CultivationTarget(models.Model):
    class Source(models.TextChoices):
        RULE = "rule", _("按规则")
        HAND = "hand", _("手工添加")

    programme = models.ForeignKey(
        CultivationProgramme, verbose_name=_("培育项目"), on_delete=models.CASCADE, related_name="targets"
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(_("来源"), max_length=4, choices=Source.choices)
    added_at = models.DateTimeField(_("加入时间"), default=timezone.now)
    # kept by the database (migration 0005's triggers on orders, lines, targets and programmes), whatever path
    # writes them: the day of the target's first order of the programme's product on or after the start
    first_bought_on = models.DateField(_("首次进货日期"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("培育目标客户")
        verbose_name_plural = _("培育目标客户")
        constraints = [
            models.UniqueConstraint(fields=["programme", "retailer"], name="cultivation_target_once"),
        ]
        indexes = [models.Index(fields=["retailer"], name="cultivation_target_retailer")]

    def __str__(self):
        return f"{self.programme_id}:{self.retailer_id}"


class VisitStockCheck(models.Model):
    """Whether a visited shop had a cultivated product on its shelf."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="stock_checks")
    programme = models.ForeignKey(
        CultivationProgramme, verbose_name=_("培育项目"), on_delete=models.CASCADE, related_name="+"
    )
    in_stock = models.BooleanField(_("有货"))

    class Meta:
        verbose_name = _("培育品规库存检查")
        verbose_name_plural = _("培育品规库存检查")
        constraints = [
            models.UniqueConstraint(fields=["visit", "programme"], name="stockcheck_once_per_visit"),
        ]
        indexes = [models.Index(fields=["programme", "visit"], name="stockcheck_programme")]

    def __str__(self):
        return f"{self.visit_id}:{self.programme_id}={self.in_stock}"
