"""Field work: the visit policy (one row), visit plans, visit records with their checklist, stock checks and
photos, brand cultivation programmes and their target retailers, and the audit of coverage exports."""

import datetime
import uuid

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from sales.models import Product
from users.models import OrgUnit, Route


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
    # proof of visit: the signals a check-in is assessed on (visits.services.trust)
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


# ---- the plans' week visit counts (VisitPlan.week_visits), kept by the database --------------------------------
# Every path that writes visits keeps them right: the services, the offline sync, a merge's row moves, the demo's
# bulk INSERT, the admin. A plan counts the visits of its shop from its week's Monday to Sunday; a visit counts
# as trusted while unflagged or accepted (VisitPolicy.coverage_trusted_only chooses which count coverage reads).
TRUSTED = "('ok', 'accepted')"

# A plan made (or moved to another shop or day by a merge) counts its week's visits as they stand.
PLAN_WEEK_VISITS_SQL = """
    SELECT count(*), count(*) FILTER (WHERE v.trust IN ('ok', 'accepted'))
      INTO NEW.week_visits, NEW.week_visits_trusted
      FROM visits_visit v
     WHERE v.retailer_id = NEW.retailer_id
       AND v.visited_on BETWEEN NEW.planned_on - (extract(isodow FROM NEW.planned_on)::int - 1)
                            AND NEW.planned_on - (extract(isodow FROM NEW.planned_on)::int - 1) + 6;
    RETURN NEW;"""


def _week_delta_sql(*, old: str | None, new: str | None) -> str:
    """Once per statement: +1 for each visit written, −1 for each one's former row, summed per shop and week and
    added to that week's plans (increments, so concurrent writers serialise on the plan row and none is lost)."""
    monday = "visited_on - (extract(isodow FROM visited_on)::int - 1)"
    sides = [
        f"SELECT retailer_id, {monday} AS monday, {sign}1 AS visits, {sign}(trust IN {TRUSTED})::int AS trusted "  # noqa: S608
        f"FROM {table}"
        for sign, table in (("", new), ("-", old))
        if table
    ]
    return f"""
    UPDATE visits_visitplan p
       SET week_visits = p.week_visits + d.visits, week_visits_trusted = p.week_visits_trusted + d.trusted
      FROM (
          SELECT retailer_id, monday, sum(visits) AS visits, sum(trusted) AS trusted
          FROM ({" UNION ALL ".join(sides)}) AS written
          GROUP BY 1, 2
          HAVING sum(visits) <> 0 OR sum(trusted) <> 0
      ) d
     WHERE p.retailer_id = d.retailer_id AND p.planned_on BETWEEN d.monday AND d.monday + 6;
    RETURN NULL;"""  # noqa: S608 (the transition tables' names)


def _week_delta_trigger(name: str, operation, *, old: str | None = None, new: str | None = None):
    return pgtrigger.Trigger(
        name=name,
        level=pgtrigger.Statement,
        when=pgtrigger.After,
        operation=operation,
        referencing=pgtrigger.Referencing(old=old, new=new),
        func=_week_delta_sql(old=old, new=new),
    )


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
    # Whether the plan is done (visits.selectors.coverage): the shop's visits in the plan's week (Monday–Sunday),
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


class Visit(models.Model):
    """A visit to a shop as the customer manager logged it on the phone."""

    class LocationFlag(models.TextChoices):
        OK = "ok", _("位置正常")
        TOO_FAR = "too_far", _("距离过远")
        NO_LOCATION = "no_location", _("未定位")
        SHOP_UNLOCATED = "shop_unlocated", _("店铺无坐标")

    class Trust(models.TextChoices):
        OK = "ok", _("可信")
        DOUBTFUL = "doubtful", _("存疑待审")
        ACCEPTED = "accepted", _("已认可")
        REJECTED = "rejected", _("已驳回")

    class ImageRating(models.IntegerChoices):
        POOR = 1, _("差")
        FAIR = 2, _("一般")
        GOOD = 3, _("良好")
        EXCELLENT = 4, _("优秀")

    idempotency_key = models.UUIDField(
        _("提交编号"), unique=True, default=uuid.uuid4, help_text=_("手机端生成；重复提交只记一次。")
    )
    retailer = models.ForeignKey(
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="+"
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("走访人"), on_delete=models.PROTECT, related_name="+"
    )
    route = models.ForeignKey(
        Route, verbose_name=_("服务线路"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visited_on = models.DateField(_("走访日期"))
    checked_in_at = models.DateTimeField(_("签到时间"))
    latitude = models.DecimalField(
        _("签到纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("签到经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    accuracy_m = models.PositiveIntegerField(_("定位精度(米)"), null=True, blank=True)
    distance_m = models.PositiveIntegerField(_("距店铺(米)"), null=True, blank=True)
    location_flag = models.CharField(_("签到位置"), max_length=16, choices=LocationFlag.choices)
    no_location_reason = models.CharField(_("未定位原因"), max_length=200, blank=True)
    licence_displayed = models.BooleanField(_("许可证悬挂"), null=True, blank=True)
    minors_sign = models.BooleanField(_("不向未成年人售烟标识"), null=True, blank=True)
    price_tags = models.BooleanField(_("明码标价"), null=True, blank=True)
    display_ok = models.BooleanField(_("陈列规范"), null=True, blank=True)
    image_rating = models.PositiveSmallIntegerField(
        _("店铺形象"), choices=ImageRating.choices, null=True, blank=True
    )
    notes = models.TextField(_("走访记录"), blank=True, max_length=2000)
    next_action = models.CharField(_("下一步"), max_length=200, blank=True)
    follow_up_on = models.DateField(_("跟进日期"), null=True, blank=True)
    complaint_ref = models.CharField(
        _("转投诉/诉求"), max_length=40, blank=True, help_text=_("走访中登记的投诉或诉求编号。")
    )
    created_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    device_time = models.DateTimeField(
        _("手机时间"), null=True, blank=True, help_text=_("提交时手机的时钟，用于比对服务器时间。")
    )
    store_score = models.PositiveSmallIntegerField(
        _("终端形象分"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("按检查项目的权重计算（0–100）；未检查任何项目时为空。"),
    )
    # db defaults too: the demo seeder and benches insert visits in bulk SQL
    trust = models.CharField(
        _("可信度"), max_length=10, choices=Trust.choices, default=Trust.OK, db_default=Trust.OK
    )
    trust_reasons = models.JSONField(
        _("存疑原因"),
        default=list,
        db_default=models.Value([], models.JSONField()),
        blank=True,
        help_text=_("每条为 {code, params}，文字见 visits.trust。"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_reason = models.CharField(_("审核意见"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("走访记录")
        verbose_name_plural = _("走访记录")
        ordering = ["-visited_on", "-id"]
        permissions = [
            ("view_coverage", _("查看走访覆盖率")),
            ("export_coverage", _("导出走访覆盖率")),
            ("review_visit", _("审核存疑走访")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="visit_coordinates_together",
            ),
            models.CheckConstraint(
                condition=~Q(location_flag="no_location") | ~Q(no_location_reason=""),
                name="visit_no_location_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(image_rating__isnull=True) | Q(image_rating__range=(1, 4)),
                name="visit_image_rating_1_4",
            ),
            models.CheckConstraint(
                condition=Q(trust="rejected", review_reason__gt="") | ~Q(trust="rejected"),
                name="visit_rejection_has_reason",
            ),
        ]
        indexes = [
            models.Index(fields=["retailer", "-visited_on"], name="visit_retailer_day"),
            # the store score of a shop's last scored visit (the daily list, the portrait's trend): the first entry,
            # however many visits the shop has had, read from the index alone
            models.Index(
                fields=["retailer", "-visited_on", "-id"],
                include=["store_score"],
                condition=Q(store_score__isnull=False) & ~Q(trust="rejected"),
                name="visit_retailer_last_scored",
            ),
            models.Index(fields=["manager", "visited_on"], name="visit_manager_day"),
            models.Index(fields=["manager", "checked_in_at"], name="visit_manager_checkin"),
            models.Index(fields=["latitude", "longitude"], name="visit_coordinates"),
            models.Index(fields=["trust", "visited_on"], name="visit_trust_day"),
            # coverage of a period from the index alone
            models.Index(
                fields=["visited_on"],
                include=["manager", "route", "retailer", "location_flag", "trust"],
                name="visit_day_coverage",
            ),
        ]
        triggers = [
            _week_delta_trigger("visit_week_visits_insert", pgtrigger.Insert, new="new_rows"),
            _week_delta_trigger("visit_week_visits_update", pgtrigger.Update, old="old_rows", new="new_rows"),
            _week_delta_trigger("visit_week_visits_delete", pgtrigger.Delete, old="old_rows"),
        ]

    def __str__(self):
        return f"{self.visited_on} {self.retailer_id}"

    @property
    def is_flagged(self) -> bool:
        return self.location_flag in (self.LocationFlag.TOO_FAR, self.LocationFlag.NO_LOCATION)

    @property
    def counts_for_coverage(self) -> bool:
        return self.trust in (self.Trust.OK, self.Trust.ACCEPTED)

    @property
    def trust_reason_texts(self) -> list[str]:
        from visits.trust import reason_text

        return [reason_text(r) for r in self.trust_reasons]


def visit_photo_path(instance, filename: str) -> str:
    return (
        f"visits/{instance.visit.visited_on:%Y/%m}/{instance.visit_id}-{uuid.uuid4().hex[:8]}{instance.ext}"
    )


def stamped_photo_path(instance, filename: str) -> str:
    return f"visits/{instance.visit.visited_on:%Y/%m}/{instance.visit_id}-{uuid.uuid4().hex[:8]}-stamped.svg"


PHOTO_CONTENT_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


class VisitPhoto(models.Model):
    """A photo taken on a visit. Never served from MEDIA_URL (shops, people, licences): only through
    visits:visit-photo, to those who may see the visit's retailer."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to=visit_photo_path)
    ext = models.CharField(max_length=5, editable=False)
    size_bytes = models.PositiveIntegerField(_("大小"))
    content_hash = models.CharField(
        _("图像指纹"),
        max_length=64,
        blank=True,
        default="",
        db_default="",
        db_index=True,
        help_text=_("图像数据（去掉 EXIF 等元数据）的 SHA-256：同一张照片换了元数据也能认出。"),
    )
    phash = models.BigIntegerField(
        _("感知哈希"),
        null=True,
        blank=True,
        help_text=_("像素的差异哈希（64 位）：重新压缩、缩放后的同一张照片也能认出。"),
    )
    taken_at = models.DateTimeField(_("拍摄时间(EXIF)"), null=True, blank=True)
    exif_latitude = models.DecimalField(
        _("拍摄纬度(EXIF)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    exif_longitude = models.DecimalField(
        _("拍摄经度(EXIF)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    stamped = models.FileField(
        _("水印版"),
        upload_to=stamped_photo_path,
        blank=True,
        default="",
        db_default="",
        help_text=_("服务器加盖店铺、客户经理、时间和距离的副本（SVG，原图不变）。"),
    )

    class Meta:
        verbose_name = _("走访照片")
        verbose_name_plural = _("走访照片")

    def __str__(self):
        return self.image.name

    def get_absolute_url(self) -> str:
        return reverse("visits:visit-photo", args=[self.visit_id, self.pk])

    @property
    def content_type(self) -> str:
        """From the extension the upload's magic bytes chose (see services.records), never the client's claim."""
        return PHOTO_CONTENT_TYPES.get(self.ext, "application/octet-stream")


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


class StoreScoreItem(models.Model):
    """The weight of one checklist item in the store score (终端形象/规范经营分). While no row exists the defaults in
    visits.scoring.DEFAULT_WEIGHTS apply; a weight of 0 leaves the item out."""

    class Item(models.TextChoices):
        LICENCE = "licence_displayed", _("许可证悬挂")
        MINORS = "minors_sign", _("不向未成年人售烟标识")
        PRICE_TAGS = "price_tags", _("明码标价")
        DISPLAY = "display_ok", _("陈列规范")
        IMAGE = "image_rating", _("店铺形象")

    item = models.CharField(_("检查项目"), max_length=20, choices=Item.choices, unique=True)
    weight = models.PositiveSmallIntegerField(
        _("权重"), validators=[MaxValueValidator(100)], help_text=_("各项权重按比例折算成 100 分。")
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("终端形象评分项")
        verbose_name_plural = _("终端形象评分项")
        ordering = ["item"]

    def __str__(self):
        return f"{self.get_item_display()} × {self.weight}"


class CoverageExport(models.Model):
    """Who exported which coverage report, when, and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(_("筛选条件"), default=dict)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("覆盖率导出记录")
        verbose_name_plural = _("覆盖率导出记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"


class ShopFacts(models.Model):
    """What the daily list and the manager's workspace need to know of one shop beyond its own row, kept current by
    the database itself: statement triggers on visits, complaints, survey answers and call-backs (migration 0005,
    function visits_shopfacts_refresh) recompute a shop's row whenever one of those rows of the shop is written,
    moved or deleted — by a service, the admin, an import, a merge or a raw SQL sweep alike. A shop with none of
    them has no row. `manage.py shop_facts --check` compares every row with a fresh computation."""

    retailer = models.OneToOneField(
        Retailer, verbose_name=_("零售客户"), on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_visit_on = models.DateField(_("最近走访日期"), null=True)
    store_score = models.PositiveSmallIntegerField(_("最近终端形象分"), null=True)  # of the last scored visit
    open_complaints = models.PositiveIntegerField(_("未办结投诉"), default=0)
    last_complaint_at = models.DateTimeField(_("最近投诉受理时间"), null=True)
    low_rated_complaint = models.ForeignKey(
        "feedback.Complaint",
        verbose_name=_("最近低评分投诉"),
        null=True,
        on_delete=models.DO_NOTHING,  # the trigger on complaints rewrites the row when the complaint goes
        db_constraint=False,
        related_name="+",
    )
    low_rating = models.PositiveSmallIntegerField(_("评分"), null=True)
    low_rated_at = models.DateTimeField(_("评价时间"), null=True)
    last_survey_score = models.FloatField(_("最近调查得分"), null=True)
    last_surveyed_at = models.DateTimeField(_("最近调查时间"), null=True)
    last_call_at = models.DateTimeField(_("最近回访时间"), null=True)
    refreshed_at = models.DateTimeField(_("更新时间"))

    class Meta:
        verbose_name = _("客户服务事实")
        verbose_name_plural = _("客户服务事实")

    def __str__(self):
        return str(self.retailer_id)
