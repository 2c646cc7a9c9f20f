"""A visit as the customer manager logged it, its photos, and the weights of its store score."""

import uuid

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from users.models import Route
from visits.plans.week_visits import week_delta_trigger


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
            week_delta_trigger("visit_week_visits_insert", pgtrigger.Insert, new="new_rows"),
            week_delta_trigger("visit_week_visits_update", pgtrigger.Update, old="old_rows", new="new_rows"),
            week_delta_trigger("visit_week_visits_delete", pgtrigger.Delete, old="old_rows"),
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
        from visits.trust.reasons import reason_text

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
