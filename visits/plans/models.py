"""The visit policy (one row) and the visit plans it makes."""

import datetime

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from users.models import Route
from visits.plans.week_visits import PLAN_WEEK_VISITS_SQL


class VisitPolicy(models.Model):
    """How often shops are planned and what the daily list and the check-in consider (one row, editable in the
    admin; the defaults apply while there is none)."""

    weekly_min_tier = models.PositiveSmallIntegerField(
        _("每周走访的最低档位"),
        default=25,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("档位不低于此值的客户每周走访一次。"),
    )
    fortnightly_min_tier = models.PositiveSmallIntegerField(
        _("隔周走访的最低档位"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_(
            "档位不低于此值（且低于每周档）的客户两周走访一次；其余客户每四周一次，保证每月至少一次。"
        ),
    )
    high_value_weekly = models.BooleanField(
        _("高价值客户每周走访"), default=True, help_text=_("价值等级为“高”的客户不论档位，每周走访。")
    )
    checkin_radius_m = models.PositiveIntegerField(
        _("签到半径(米)"),
        default=500,
        validators=[MinValueValidator(10), MaxValueValidator(50_000)],
        help_text=_("签到位置距店铺超过此距离时标记为“距离过远”。"),
    )
    not_visited_days = models.PositiveSmallIntegerField(
        _("久未走访天数"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("超过此天数未走访的客户进入每日清单。"),
    )
    licence_warning_days = models.PositiveSmallIntegerField(
        _("许可证到期提醒天数"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # proof of visit: the signals a check-in is assessed on (visits.trust.services)
    max_accuracy_m = models.PositiveIntegerField(
        _("定位精度上限(米)"),
        default=100,
        validators=[MinValueValidator(5), MaxValueValidator(10_000)],
        help_text=_("手机报告的定位精度差于此值时，签到存疑。"),
    )
    max_speed_kmh = models.PositiveIntegerField(
        _("两次签到间最高时速(公里)"),
        default=120,
        validators=[MinValueValidator(10), MaxValueValidator(1000)],
        help_text=_("同一客户经理相邻两次签到的距离 ÷ 间隔时间超过此时速，两次签到都存疑。"),
    )
    clock_skew_minutes = models.PositiveSmallIntegerField(
        _("手机时钟允许误差(分钟)"), default=10, validators=[MinValueValidator(1), MaxValueValidator(1440)]
    )
    work_starts_at = models.TimeField(_("工作开始时间"), default=datetime.time(7, 0))
    work_ends_at = models.TimeField(_("工作结束时间"), default=datetime.time(20, 0))
    photo_max_minutes = models.PositiveSmallIntegerField(
        _("照片拍摄与签到最大间隔(分钟)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
        help_text=_("照片 EXIF 拍摄时间与签到时间相差超过此值时，签到存疑。"),
    )
    photo_max_distance_m = models.PositiveIntegerField(
        _("照片拍摄位置最大偏差(米)"),
        default=1000,
        validators=[MinValueValidator(10), MaxValueValidator(100_000)],
        help_text=_("照片 EXIF 位置距签到位置超过此值时，签到存疑。"),
    )
    coverage_trusted_only = models.BooleanField(
        _("覆盖率只计可信走访"),
        default=True,
        help_text=_("勾选时，覆盖率只计算未被标记或经主管认可的走访；存疑和被驳回的走访不算完成。"),
    )
    store_score_threshold = models.PositiveSmallIntegerField(
        _("终端形象分预警线"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("最近一次走访的终端形象分低于此值的客户进入每日清单。"),
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("走访规则")
        verbose_name_plural = _("走访规则")
        constraints = [
            models.CheckConstraint(
                condition=Q(fortnightly_min_tier__lte=F("weekly_min_tier")),
                name="visitpolicy_fortnightly_below_weekly",
            ),
            models.CheckConstraint(
                condition=Q(work_starts_at__lt=F("work_ends_at")), name="visitpolicy_work_hours_ordered"
            ),
        ]

    def __str__(self):
        return str(_("走访规则"))


class VisitPlan(models.Model):
    """One planned visit of one shop on one day. The manager and route are those of the shop's route when the
    plan was made, so coverage stays with who was meant to go."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", _("每周")
        FORTNIGHTLY = "fortnightly", _("隔周")
        MONTHLY = "monthly", _("每四周")

    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, related_name="+"
    )
    planned_on = models.DateField(_("计划日期"))
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    route = models.ForeignKey(Route, verbose_name=_("服务线路"), on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(_("走访频次"), max_length=12, choices=Frequency.choices)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    # Whether the plan is done (visits.coverage.selectors): the shop's visits in the plan's week (Monday–Sunday),
    # all of them and those unflagged or accepted. Kept by the database on every write (PLAN_WEEK_VISITS_SQL when
    # a plan is made or moved, VISIT_WEEK_DELTA_SQL when a visit is written), so coverage reads one row per plan.
    week_visits = models.PositiveIntegerField(_("当周走访次数"), default=0, db_default=0, editable=False)
    week_visits_trusted = models.PositiveIntegerField(
        _("当周可信走访次数"), default=0, db_default=0, editable=False
    )

    class Meta:
        verbose_name = _("走访计划")
        verbose_name_plural = _("走访计划")
        ordering = ["planned_on", "retailer_id"]
        constraints = [
            models.UniqueConstraint(fields=["retailer", "planned_on"], name="visitplan_once_per_day"),
        ]
        indexes = [
            models.Index(fields=["manager", "planned_on"], name="visitplan_manager_day"),
            # coverage of a period from the index alone
            models.Index(
                fields=["planned_on"],
                include=["manager", "route", "retailer", "week_visits", "week_visits_trusted"],
                name="visitplan_day_coverage",
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="visitplan_week_visits",
                level=pgtrigger.Row,
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("retailer_id", "planned_on"),
                func=PLAN_WEEK_VISITS_SQL,
            )
        ]

    def __str__(self):
        return f"{self.planned_on} {self.retailer_id}"
