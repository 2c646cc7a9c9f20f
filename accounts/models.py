"""Retail accounts: the licensed shop, its consent to messages, and the log of who saw or exported its personal
data. The sub-areas' models live in their package and are imported below so Django finds them: imports
(`imports/`), duplicates (`dedupe/`), violations and credit (`compliance/`)."""

import datetime
from urllib.parse import quote

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

# The sub-areas' models, imported so Django registers them with the app (import them from their sub-area). They
# name Retailer as "accounts.Retailer", so importing them first is safe.
from accounts.compliance.models import VIOLATION_ADVICE, CreditRule, Violation
from accounts.dedupe.models import DuplicatePair, DuplicateScan
from accounts.imports.models import ImportJob, ImportRowError
from users.models import OrgUnit, Route

__all__ = [
    "MAX_LICENCE_YEARS",
    "VIOLATION_ADVICE",
    "ConsentEvent",
    "CreditRule",
    "DuplicatePair",
    "DuplicateScan",
    "ImportJob",
    "ImportRowError",
    "Retailer",
    "RetailerEvent",
    "RetailerExport",
    "SensitiveAccess",
    "Violation",
]

MAX_LICENCE_YEARS = 5


@pghistory.track(
    pghistory.InsertEvent("created"),
    pghistory.UpdateEvent("updated"),
    exclude=["search_text", "class_code", "updated_at"],
    meta={"verbose_name": _("客户变更记录"), "verbose_name_plural": _("客户变更记录")},
)
class Retailer(models.Model):
    """One licensed shop (零售户)."""

    class LicenceStatus(models.TextChoices):
        VALID = "valid", _("有效")
        SUSPENDED = "suspended", _("暂停")
        REVOKED = "revoked", _("吊销")
        CLOSED = "closed", _("歇业")

    class MarketType(models.TextChoices):
        TOWN = "C", _("城镇")
        RURAL = "X", _("乡村")

    class BusinessFormat(models.TextChoices):
        GROCERY = "Z", _("食杂店")
        CONVENIENCE = "B", _("便利店")
        SUPERMARKET = "S", _("超市")
        MALL = "N", _("商场")
        TOBACCO_LIQUOR = "Y", _("烟酒商店")
        ENTERTAINMENT = "F", _("娱乐服务类")
        OTHER = "Q", _("其他")

    class Scale(models.TextChoices):
        LARGE = "1", _("大")
        MEDIUM = "2", _("中")
        SMALL = "3", _("小")

    class CreditGrade(models.TextChoices):
        AAA = "AAA", "AAA"
        AA = "AA", "AA"
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"
        D = "D", "D"

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常")
        SUSPENDED = "suspended", _("暂停")
        CLOSED = "closed", _("注销")

    class OrderChannel(models.TextChoices):
        ONLINE = "online", _("网上订货")
        PHONE = "phone", _("电话订货")

    class Payment(models.TextChoices):
        BANK = "bank", _("银行扣款")
        ONLINE = "online", _("网上支付")
        CASH = "cash", _("现金")

    class Weekday(models.IntegerChoices):
        MON = 1, _("周一")
        TUE = 2, _("周二")
        WED = 3, _("周三")
        THU = 4, _("周四")
        FRI = 5, _("周五")
        SAT = 6, _("周六")
        SUN = 7, _("周日")

    customer_code = models.CharField(_("客户编码"), max_length=20, unique=True)
    licence_no = models.CharField(_("许可证号"), max_length=12, unique=True)
    licence_issued_on = models.DateField(_("发证日期"))
    licence_expires_on = models.DateField(_("有效期至"))
    licence_status = models.CharField(
        _("许可证状态"), max_length=12, choices=LicenceStatus.choices, default=LicenceStatus.VALID
    )
    shop_name = models.CharField(_("店铺名称"), max_length=100)
    owner_name = models.CharField(_("负责人"), max_length=50)
    owner_id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    owner_birthday = models.DateField(_("负责人生日"), null=True, blank=True)
    mobile = models.CharField(_("手机号"), max_length=11, db_index=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    address = models.CharField(_("经营地址"), max_length=200)
    latitude = models.DecimalField(
        _("纬度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(3), MaxValueValidator(54)],
    )
    longitude = models.DecimalField(
        _("经度"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(73), MaxValueValidator(136)],
    )
    market_type = models.CharField(_("市场类型"), max_length=1, choices=MarketType.choices)
    business_format = models.CharField(_("经营业态"), max_length=1, choices=BusinessFormat.choices)
    scale = models.CharField(_("经营规模"), max_length=1, choices=Scale.choices)
    class_code = models.GeneratedField(
        verbose_name=_("分类编码"),
        expression=Concat(F("market_type"), F("business_format"), F("scale")),
        output_field=models.CharField(max_length=3),
        db_persist=True,
    )
    tier = models.PositiveSmallIntegerField(
        _("档位"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    credit_grade = models.CharField(
        _("信用等级"), max_length=3, choices=CreditGrade.choices, default=CreditGrade.A
    )
    shop_area_m2 = models.PositiveIntegerField(
        _("经营面积(㎡)"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(100000)]
    )
    is_night_shop = models.BooleanField(_("夜间营业"), default=False)
    org_unit = models.ForeignKey(
        OrgUnit, verbose_name=_("所属营销部"), on_delete=models.PROTECT, related_name="+"
    )
    route = models.ForeignKey(
        Route,
        verbose_name=_("服务线路"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retailers",
    )
    delivery_route = models.CharField(_("配送线路"), max_length=50, blank=True)
    order_weekday = models.PositiveSmallIntegerField(
        _("订货日"), choices=Weekday.choices, null=True, blank=True
    )
    order_channel = models.CharField(
        _("订货方式"), max_length=10, choices=OrderChannel.choices, default=OrderChannel.ONLINE
    )
    payment_method = models.CharField(
        _("结算方式"), max_length=10, choices=Payment.choices, default=Payment.BANK
    )
    bank_account = models.CharField(_("银行账号"), max_length=30, blank=True)
    status = models.CharField(_("客户状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("已合并到"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sms_consent = models.BooleanField(_("同意接收短信"), default=False)
    sms_consent_at = models.DateTimeField(_("短信授权时间"), null=True, blank=True)
    sms_consent_source = models.CharField(_("短信授权来源"), max_length=50, blank=True)
    email_consent = models.BooleanField(_("同意接收邮件"), default=False)
    email_consent_at = models.DateTimeField(_("邮件授权时间"), null=True, blank=True)
    email_consent_source = models.CharField(_("邮件授权来源"), max_length=50, blank=True)
    search_text = models.GeneratedField(
        expression=Concat(
            F("shop_name"),
            Value(" "),
            F("owner_name"),
            Value(" "),
            F("address"),
            Value(" "),
            F("licence_no"),
            Value(" "),
            F("mobile"),
            Value(" "),
            F("customer_code"),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(_("建档时间"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("零售客户")
        verbose_name_plural = _("零售客户")
        ordering = ["-id"]
        permissions = [
            ("view_contact_details", _("查看完整联系方式")),
            ("view_sensitive_identity", _("查看身份证号和银行账号")),
            ("export_retailer", _("导出零售客户")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(licence_no__regex=r"^\d{6}[12]\d{5}$"), name="retailer_licence_12_digits"
            ),
            models.CheckConstraint(condition=Q(mobile__regex=r"^1\d{10}$"), name="retailer_mobile_11_digits"),
            models.CheckConstraint(
                condition=Q(tier__isnull=True) | Q(tier__range=(1, 30)), name="retailer_tier_1_30"
            ),
            models.CheckConstraint(
                condition=Q(licence_expires_on__gt=F("licence_issued_on")),
                name="retailer_licence_expiry_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(order_weekday__isnull=True) | Q(order_weekday__range=(1, 7)),
                name="retailer_weekday_1_7",
            ),
        ]
        indexes = [
            GinIndex(name="retailer_search_trgm", fields=["search_text"], opclasses=["gin_trgm_ops"]),
            models.Index(fields=["route", "-id"], name="retailer_route_id"),
            models.Index(fields=["org_unit", "-id"], name="retailer_org_id"),
            # a unit's managers (the supervisor's team): an index-only pass over the unit's shops, no heap reads
            models.Index(fields=["org_unit", "route"], name="retailer_org_route"),
            models.Index(fields=["licence_expires_on"], name="retailer_licence_expiry"),
            models.Index(fields=["tier"], name="retailer_tier"),
        ]

    def __str__(self):
        return f"{self.shop_name}（{self.licence_no}）"

    def get_absolute_url(self):
        return reverse("accounts:retailer-detail", kwargs={"pk": self.pk})

    def _get_FIELD_display(self, field):  # noqa: N802 - overrides Django's method of this name
        """Django's get_FOO_display without rebuilding the field's choices on every call (hashing each lazy
        label to do so translates it): the list page asks a few hundred times. Same result, translated now."""
        labels = _CHOICE_LABELS.get(field)
        if labels is None:
            labels = _CHOICE_LABELS[field] = dict(make_hashable(field.flatchoices))
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)

    @property
    def map_url(self) -> str:
        """A map link that opens the phone's map app (AMap's web URI; the coordinates when the shop has them)."""
        if self.latitude is not None and self.longitude is not None:
            return f"https://uri.amap.com/marker?position={self.longitude},{self.latitude}&name={quote(self.shop_name)}"
        return f"https://uri.amap.com/search?keyword={quote(self.address)}"

    @property
    def licence_days_left(self) -> int:
        return self.days_left(self.licence_expires_on)

    @staticmethod
    def days_left(licence_expires_on: datetime.date) -> int:
        """licence_days_left, from the column (for lists read as values rather than instances)."""
        return (licence_expires_on - timezone.localdate()).days


_CHOICE_LABELS: dict = {}  # model field -> {value: lazy label}, for Retailer._get_FIELD_display


class ConsentEvent(models.Model):
    """Append-only proof of consent and its withdrawal (kept at least five months under the MIIT SMS rules)."""

    class Channel(models.TextChoices):
        SMS = "sms", _("短信")
        EMAIL = "email", _("邮件")

    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    granted = models.BooleanField(_("同意"))
    source = models.CharField(_("来源"), max_length=50)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("授权记录")
        verbose_name_plural = _("授权记录")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.retailer_id} {self.channel} {'+' if self.granted else '-'}"


class SensitiveAccess(models.Model):
    """One line per unmasking or export of personal data: who, what, how, when (PIPL)."""

    class Field(models.TextChoices):
        MOBILE = "mobile", _("手机号")
        ID_NUMBER = "owner_id_number", _("身份证号")
        BANK_ACCOUNT = "bank_account", _("银行账号")

    class Via(models.TextChoices):
        PAGE = "page", _("页面")
        API = "api", _("接口")
        EXPORT = "export", _("导出")
        ADMIN = "admin", _("后台")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    retailer = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    field = models.CharField(_("字段"), max_length=20, choices=Field.choices)
    via = models.CharField(_("途径"), max_length=10, choices=Via.choices)
    ip_address = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("敏感信息访问")
        verbose_name_plural = _("敏感信息访问")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user_id} {self.field} {self.retailer_id}"


class RetailerExport(models.Model):
    """One line per export: who exported which filter and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(_("筛选条件"), default=dict)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    unmasked = models.BooleanField(_("含完整手机号"), default=False)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} {self.row_count}"


# The history model pghistory generates for Retailer (one row per insert and update, written by triggers).
RetailerEvent = Retailer.events.rel.related_model
