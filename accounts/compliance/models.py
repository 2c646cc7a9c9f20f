"""Monopoly-law violations found at shops, and the rules that turn them into a credit grade."""

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@pghistory.track(
    pghistory.InsertEvent("recorded"),
    pghistory.UpdateEvent("updated"),
    meta={"verbose_name": _("违规变更记录"), "verbose_name_plural": _("违规变更记录")},
)
class Violation(models.Model):
    """A monopoly-law violation (专卖违规) found at a shop. Never deleted: a mistaken record is voided (who, when,
    why), and every change is kept by the history triggers. Violations drive the credit grade (CreditRule)."""

    class Type(models.TextChoices):
        LICENCE_NOT_DISPLAYED = "licence_hidden", _("未亮证经营")
        NO_PRICE_TAGS = "no_price_tags", _("未明码标价")
        SALE_TO_MINORS = "minors", _("向未成年人售烟")
        FAKE_GOODS = "fake_goods", _("销售假冒/走私卷烟")
        SUPPLYING_OTHERS = "supplying", _("为他人提供烟源")
        RESISTING_INSPECTION = "resisting", _("拒绝、阻碍检查")
        OTHER = "other", _("其他")

    class Penalty(models.TextChoices):
        WARNING = "warning", _("警告")
        FINE = "fine", _("罚款")
        SUSPENSION = "suspension", _("停业整顿")
        REVOCATION = "revocation", _("吊销许可证")

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("专卖检查")
        VISIT = "visit", _("客户经理走访")
        HOTLINE = "12313", _("12313 举报")
        OTHER = "other", _("其他")

    retailer = models.ForeignKey(
        "accounts.Retailer", verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="violations"
    )
    occurred_on = models.DateField(_("违规日期"))
    type = models.CharField(_("违规类型"), max_length=16, choices=Type.choices)
    penalty = models.CharField(_("处罚"), max_length=12, choices=Penalty.choices)
    fine_fen = models.PositiveIntegerField(_("罚款金额(分)"), null=True, blank=True)
    suspension_days = models.PositiveSmallIntegerField(_("停业天数"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    notes = models.CharField(_("说明"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("作废人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("专卖违规")
        verbose_name_plural = _("专卖违规")
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(penalty="fine", fine_fen__gt=0) | (~Q(penalty="fine") & Q(fine_fen__isnull=True)),
                name="violation_fine_amount_iff_fine",
            ),
            models.CheckConstraint(
                condition=Q(penalty="suspension", suspension_days__gt=0)
                | (~Q(penalty="suspension") & Q(suspension_days__isnull=True)),
                name="violation_days_iff_suspension",
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True, voided_by__isnull=True, void_reason="")
                | (Q(voided_at__isnull=False, voided_by__isnull=False) & ~Q(void_reason="")),
                name="violation_void_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["retailer", "-occurred_on"], name="violation_retailer_date"),
            models.Index(fields=["-recorded_at"], name="violation_recorded"),
        ]

    def __str__(self):
        return f"{self.retailer_id} {self.occurred_on} {self.get_type_display()}"

    def clean(self):
        errors = {}
        if self.penalty == self.Penalty.FINE and not self.fine_fen:
            errors["fine_fen"] = _("罚款须填写金额。")
        if self.penalty != self.Penalty.FINE and self.fine_fen:
            errors["fine_fen"] = _("只有罚款才填写金额。")
        if self.penalty == self.Penalty.SUSPENSION and not self.suspension_days:
            errors["suspension_days"] = _("停业整顿须填写天数。")
        if self.penalty != self.Penalty.SUSPENSION and self.suspension_days:
            errors["suspension_days"] = _("只有停业整顿才填写天数。")
        if self.occurred_on and self.occurred_on > timezone.localdate():
            errors["occurred_on"] = _("违规日期不能晚于今天。")
        if errors:
            raise ValidationError(errors)

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None


# What a retailer should fix after each kind of violation (the compliance reminder says it).
VIOLATION_ADVICE = {
    Violation.Type.LICENCE_NOT_DISPLAYED: _("请将烟草专卖零售许可证悬挂在店内显著位置"),
    Violation.Type.NO_PRICE_TAGS: _("请为在售卷烟逐一明码标价"),
    Violation.Type.SALE_TO_MINORS: _("请张贴“不向未成年人售烟”标识，拿不准年龄时查验身份证"),
    Violation.Type.FAKE_GOODS: _("只从本地烟草公司进货，发现可疑卷烟请拨打 12313"),
    Violation.Type.SUPPLYING_OTHERS: _("卷烟只可零售给消费者，不得转供其他经营者"),
    Violation.Type.RESISTING_INSPECTION: _("请配合专卖管理人员依法检查"),
    Violation.Type.OTHER: _("请按专卖管理规定整改"),
}


class CreditRule(models.Model):
    """How violations set the credit grade (信用等级); one active rule, editable in the admin.

    points  = Σ points of the retailer's non-voided violations dated within the last `window_months`
    clean   = whole months since its last non-voided violation (or since it was registered, if it has none)
    grade   = AAA if points = 0 and clean ≥ aaa_clean_months; AA if points = 0 and clean ≥ aa_clean_months;
              A if points ≤ a_max_points; B if ≤ b_max_points; C if ≤ c_max_points; D otherwise.
    A violation dropping out of the window lowers the points (lifts the grade); clean months lift a 0-point
    retailer from A to AA to AAA. A voided violation counts for nothing."""

    name = models.CharField(_("名称"), max_length=50)
    is_active = models.BooleanField(_("启用"), default=True)
    window_months = models.PositiveSmallIntegerField(
        _("统计窗口(月)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    points_licence_hidden = models.PositiveSmallIntegerField(_("未亮证经营 扣分"), default=1)
    points_no_price_tags = models.PositiveSmallIntegerField(_("未明码标价 扣分"), default=1)
    points_minors = models.PositiveSmallIntegerField(_("向未成年人售烟 扣分"), default=4)
    points_fake_goods = models.PositiveSmallIntegerField(_("假冒/走私卷烟 扣分"), default=8)
    points_supplying = models.PositiveSmallIntegerField(_("为他人提供烟源 扣分"), default=6)
    points_resisting = models.PositiveSmallIntegerField(_("拒绝检查 扣分"), default=6)
    points_other = models.PositiveSmallIntegerField(_("其他 扣分"), default=1)
    aaa_clean_months = models.PositiveSmallIntegerField(_("AAA 须连续无违规(月)"), default=60)
    aa_clean_months = models.PositiveSmallIntegerField(_("AA 须连续无违规(月)"), default=36)
    a_max_points = models.PositiveSmallIntegerField(_("A 最高扣分"), default=2)
    b_max_points = models.PositiveSmallIntegerField(_("B 最高扣分"), default=5)
    c_max_points = models.PositiveSmallIntegerField(_("C 最高扣分"), default=9)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("信用等级规则")
        verbose_name_plural = _("信用等级规则")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="creditrule_one_active"
            ),
            models.CheckConstraint(
                condition=Q(aaa_clean_months__gte=F("aa_clean_months"))
                & Q(b_max_points__gte=F("a_max_points"))
                & Q(c_max_points__gte=F("b_max_points")),
                name="creditrule_thresholds_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        months = (self.aaa_clean_months, self.aa_clean_months)
        if None not in months and months[0] < months[1]:
            errors["aaa_clean_months"] = _("AAA 要求的无违规月数不能少于 AA。")
        if None not in (self.a_max_points, self.b_max_points, self.c_max_points) and not (
            self.a_max_points <= self.b_max_points <= self.c_max_points
        ):
            errors["c_max_points"] = _("扣分阈值须满足 A ≤ B ≤ C。")
        if errors:
            raise ValidationError(errors)

    def points_for(self, violation_type: str) -> int:
        return getattr(self, f"points_{violation_type}")
