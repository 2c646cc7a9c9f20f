"""KPI snapshots per unit, manager and period (kept by a beat task, read by the cockpit), targets, alerts, the
supervisor's in-app notices and the monthly operating-analysis reports."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from users.models import OrgUnit


class Period(models.TextChoices):
    WEEK = "week", _("周")
    MONTH = "month", _("月")


class KpiSnapshot(models.Model):
    """One KPI of one org unit (its whole subtree) or one customer manager for one week or month: value =
    num ÷ den when den is set, else num. Written set-based by services.kpi_snapshots_refresh."""

    org_unit = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    period = models.CharField(_("周期"), max_length=5, choices=Period.choices)
    period_start = models.DateField(_("周期开始"))
    kpi = models.CharField(_("指标"), max_length=24)
    num = models.BigIntegerField(default=0)
    den = models.BigIntegerField(null=True, blank=True)
    # counts a KPI shows beside its value (活动增量: both groups' sizes), from the same refresh
    extra = models.JSONField(_("附加数"), default=dict, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)

    class Meta:
        verbose_name = _("指标快照")
        verbose_name_plural = _("指标快照")
        constraints = [
            models.CheckConstraint(
                condition=Q(org_unit__isnull=True) ^ Q(manager__isnull=True), name="kpisnapshot_one_owner"
            ),
            models.UniqueConstraint(
                fields=["org_unit", "period", "period_start", "kpi"],
                condition=Q(org_unit__isnull=False),
                name="kpisnapshot_unit_once",
            ),
            models.UniqueConstraint(
                fields=["manager", "period", "period_start", "kpi"],
                condition=Q(manager__isnull=False),
                name="kpisnapshot_manager_once",
            ),
        ]
        indexes = [models.Index(fields=["period", "period_start"], name="kpisnapshot_period")]

    def __str__(self):
        return f"{self.kpi} {self.period} {self.period_start}"

    @property
    def value(self) -> float | None:
        if self.den is None:
            return float(self.num)
        return self.num / self.den if self.den else None


class KpiTarget(models.Model):
    """A target of one KPI for one org unit's subtree, from a date on (until `ends_on`, or open). Red below
    the target by more than the amber margin, amber within it, green at or beyond the target (for a KPI where
    lower is better, the other way round)."""

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("指标"), max_length=24)
    period = models.CharField(_("周期"), max_length=5, choices=Period.choices, default=Period.WEEK)
    value = models.DecimalField(_("目标值"), max_digits=14, decimal_places=2)
    amber_margin_pct = models.PositiveSmallIntegerField(
        _("黄灯容差(%)"), default=5, help_text=_("距目标在此百分比以内为黄灯，超出为红灯。")
    )
    starts_on = models.DateField(_("生效日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("指标目标")
        verbose_name_plural = _("指标目标")
        ordering = ["org_unit__path", "kpi", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["org_unit", "kpi", "period", "starts_on"], name="kpitarget_once_per_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="kpitarget_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.org_unit} {self.kpi} {self.value}"

    def clean(self):
        from cockpit.kpis import KPIS

        if self.kpi not in KPIS:
            raise ValidationError({"kpi": _("未知指标。")})
        if self.amber_margin_pct is not None and self.amber_margin_pct > 100:
            raise ValidationError({"amber_margin_pct": _("黄灯容差不能超过 100%。")})


class KpiAlert(models.Model):
    """A crossing of a target into red. At most one open (not recovered) alert per target: a crossing notifies
    once; the alert closes when the KPI is out of red, and the next crossing opens a new one."""

    target = models.ForeignKey(
        KpiTarget, verbose_name=_("目标"), on_delete=models.CASCADE, related_name="alerts"
    )
    period_start = models.DateField(_("周期开始"))
    value = models.FloatField(_("当时值"), null=True)
    crossed_at = models.DateTimeField(_("触发时间"), default=timezone.now)
    recovered_at = models.DateTimeField(_("恢复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指标预警")
        verbose_name_plural = _("指标预警")
        ordering = ["-crossed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["target"], condition=Q(recovered_at__isnull=True), name="kpialert_one_open_per_target"
            ),
        ]

    def __str__(self):
        return f"{self.target} @ {self.crossed_at:%Y-%m-%d}"


class Notice(models.Model):
    """An in-app message of the cockpit to one supervisor (KPI alert, weekly digest, monthly report), stored as a
    code with parameters and rendered in the reader's language (cockpit.notices)."""

    class Kind(models.TextChoices):
        ALERT = "alert", _("指标预警")
        DIGEST = "digest", _("每周简报")
        REPORT = "report", _("经营分析月报")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    params = models.JSONField(_("参数"), default=dict)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("驾驶舱通知")
        verbose_name_plural = _("驾驶舱通知")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notice_recipient")]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"


class MonthlyReport(models.Model):
    """客户经营分析月报 of one org unit for one month, as generated (the page and the XLSX read the same data)."""

    org_unit = models.ForeignKey(OrgUnit, verbose_name=_("单位"), on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("月份"), help_text=_("当月第一天"))
    data = models.JSONField(_("内容"), default=dict)
    generated_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("经营分析月报")
        verbose_name_plural = _("经营分析月报")
        ordering = ["-month", "org_unit__path"]
        constraints = [models.UniqueConstraint(fields=["org_unit", "month"], name="monthlyreport_once")]

    def __str__(self):
        return f"{self.org_unit} {self.month:%Y-%m}"
