"""Retail accounts: the licensed shop, its consent to messages, and the log of who saw its personal data."""

import datetime
from urllib.parse import quote

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import gettext_lazy as _

from users.models import OrgUnit, Route

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


class ImportJob(models.Model):
    """One uploaded file on its way in: preview, per-row errors, then an all-or-nothing or valid-rows commit."""

    class Kind(models.TextChoices):
        RETAILERS = "retailers", _("零售客户")
        PRODUCTS = "products", _("卷烟品规")
        ORDERS = "orders", _("订单")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("全部导入（有错误则不导入）")
        VALID_ONLY = "valid", _("只导入正确的行")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传")
        VALIDATING = "validating", _("校验中")
        VALIDATED = "validated", _("待确认")
        COMMITTING = "committing", _("导入中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", _("已取消")

    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=255)
    size_bytes = models.BigIntegerField(_("大小"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    file_format = models.CharField(_("格式"), max_length=10, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    encoding_override = models.CharField(_("指定编码"), max_length=20, blank=True)
    mode = models.CharField(_("导入方式"), max_length=10, choices=Mode.choices, default=Mode.VALID_ONLY)
    language = models.CharField(
        _("语言"), max_length=10, default="zh-hans", help_text=_("错误说明使用的语言")
    )
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.UPLOADED)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.TextField(_("说明"), blank=True)
    column_mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    unknown_columns = models.JSONField(_("未识别的列"), default=list, blank=True)
    preview = models.JSONField(_("预览"), default=list, blank=True)
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("正确行数"), default=0)
    invalid_rows = models.PositiveIntegerField(_("错误行数"), default=0)
    created_count = models.PositiveIntegerField(_("新增"), default=0)
    updated_count = models.PositiveIntegerField(_("更新"), default=0)
    unchanged_count = models.PositiveIntegerField(_("未变"), default=0)
    rejected_count = models.PositiveIntegerField(_("拒绝"), default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    validated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_user_recent")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()} {self.original_name}"

    def get_absolute_url(self):
        return reverse("imports:job-detail", kwargs={"pk": self.pk})

    @property
    def staging_table(self) -> str:
        return f"import_stage_{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED, self.Status.CANCELLED)


class ImportRowError(models.Model):
    """One problem with one cell (or row) of an import file, in words the user can act on."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_no = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=100, blank=True)
    value = models.CharField(_("值"), max_length=255, blank=True)
    message = models.CharField(_("错误"), max_length=255)

    class Meta:
        verbose_name = _("导入错误")
        verbose_name_plural = _("导入错误")
        ordering = ["job", "row_no", "id"]
        indexes = [models.Index(fields=["job", "row_no"], name="importerror_job_row")]

    def __str__(self):
        return f"{self.job_id}:{self.row_no} {self.message}"


class DuplicatePair(models.Model):
    """Two retailer records that may be one shop. Found by accounts.services.duplicates_scan; a person decides:
    merge them, or mark them "not a duplicate" so the pair stops showing."""

    class Reason(models.TextChoices):
        PHONE = "phone", _("手机号相同")
        FUZZY = "fuzzy", _("店名和地址相近")

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        DISMISSED = "dismissed", _("不是重复")
        MERGED = "merged", _("已合并")

    first = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Retailer, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("原因"), max_length=10, choices=Reason.choices)
    score = models.FloatField(_("相似度"), default=1.0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    found_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("疑似重复")
        verbose_name_plural = _("疑似重复")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_open_by_score")]

    def __str__(self):
        return f"{self.first_id}~{self.second_id} {self.reason}"


class DuplicateScan(models.Model):
    """One run of the duplicate scan asked for from the data-quality page (the nightly run records none): the page
    shows its state while it runs and what it found."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("检查中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    pairs_added = models.PositiveIntegerField(_("新发现"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("重复检查")
        verbose_name_plural = _("重复检查")
        ordering = ["-requested_at", "-id"]
        constraints = [
            # at most one scan waiting or running: a second click joins the first
            models.UniqueConstraint(
                fields=["status"],
                condition=Q(status__in=["queued", "running"]),
                name="duplicatescan_one_active",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.get_status_display()}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


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
        Retailer, verbose_name=_("零售客户"), on_delete=models.PROTECT, related_name="violations"
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
