"""Import jobs: one uploaded file on its way in, and the errors of its rows."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
