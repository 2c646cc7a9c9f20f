"""Complaints and requests (投诉与诉求): a case per retailer concern, with a category that sets its deadlines and its
routing, a state machine (new → assigned → in progress → resolved → closed, reopen), a timeline of every event,
escalations claimed once per breach and the log of exports. In-app notifications: feedback.complaints.notifications;
calls about "hidden complaints": feedback.complaints.hidden."""

import pgtrigger
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.messages import SystemText, system_message_field


class Priority(models.TextChoices):
    LOW = "low", _("低")
    NORMAL = "normal", _("普通")
    HIGH = "high", _("高")
    URGENT = "urgent", _("紧急")


class ComplaintCategory(models.Model):
    """What a complaint is about, and so how fast it must be answered and who handles it."""

    class Routing(models.TextChoices):
        MANAGER = "manager", _("零售户的客户经理")
        SUPERVISOR = "supervisor", _("客户经理的上级主管（不交给被投诉的客户经理）")
        UNIT = "unit", _("指定部门队列")

    code = models.SlugField(_("编码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    response_hours = models.PositiveSmallIntegerField(
        _("响应时限（工作小时）"), validators=[MinValueValidator(1)]
    )
    resolution_hours = models.PositiveSmallIntegerField(
        _("办结时限（工作小时）"), validators=[MinValueValidator(1)]
    )
    same_day_dispatch = models.BooleanField(
        _("当日派单"), default=False, help_text=_("响应截止不晚于受理当个工作日下班（如涉烟违法举报）。")
    )
    default_priority = models.CharField(
        _("默认优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    routing = models.CharField(_("分派规则"), max_length=12, choices=Routing.choices, default=Routing.MANAGER)
    queue_unit = models.ForeignKey(
        "users.OrgUnit",
        verbose_name=_("受理部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("分派规则为“指定部门队列”时必填。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("投诉类别")
        verbose_name_plural = _("投诉类别")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_hours__gte=models.F("response_hours")),
                name="complaintcategory_resolution_after_response",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.routing == self.Routing.UNIT and not self.queue_unit_id:
            errors["queue_unit"] = _("分派到部门队列时必须指定受理部门。")
        if self.response_hours and self.resolution_hours and self.resolution_hours < self.response_hours:
            errors["resolution_hours"] = _("办结时限不能短于响应时限。")
        if errors:
            raise ValidationError(errors)


COMPLAINT_ORDER_CHECK = """
    IF EXISTS (SELECT FROM new_rows n WHERE n.order_id IS NOT NULL
               AND NOT EXISTS (SELECT FROM sales_order o WHERE o.id = n.order_id)) THEN
      RAISE EXCEPTION 'feedback_complaint violates its foreign key order_id -> sales_order'
        USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;"""


class Complaint(models.Model):
    # The one definition of a low rating (1–5 scale): it flags the case for a supervisor's call-back, puts the
    # shop on the hidden-complaints list and counts in the reports.
    LOW_RATING_MAX = 2

    class Channel(models.TextChoices):
        HOTLINE = "12313", _("12313 热线")
        PHONE = "phone", _("电话")
        VISIT = "visit", _("走访")
        PLATFORM = "platform", _("订货平台")
        WEB = "web", _("网页链接")

    class Status(models.TextChoices):
        NEW = "new", _("待分派")
        ASSIGNED = "assigned", _("已分派")
        IN_PROGRESS = "in_progress", _("处理中")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", _("已关闭")

    class Kind(models.TextChoices):
        COMPLAINT = "complaint", _("投诉")
        SUGGESTION = "suggestion", _("建议")

    class FollowUp(models.TextChoices):
        NONE = "", _("未回访")
        SMS = "sms", _("短信回访")
        PHONE = "phone", _("电话回访")

    OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)
    AWAITING_RESPONSE = (Status.NEW, Status.ASSIGNED)

    retailer = models.ForeignKey(
        "accounts.Retailer", verbose_name=_("零售户"), on_delete=models.PROTECT, related_name="complaints"
    )
    category = models.ForeignKey(
        ComplaintCategory, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="complaints"
    )
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices, default=Kind.COMPLAINT)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NEW)
    description = models.TextField(_("内容"), max_length=2000)
    product = models.ForeignKey(
        "sales.Product",
        verbose_name=_("涉及品规"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # checked by statement triggers, not a foreign key: sales_order is partitioned by month and its key is
    # (id, ordered_on) (feedback migration 0017)
    order = models.ForeignKey(
        "sales.Order",
        verbose_name=_("涉及订单"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    customer_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("受理时零售户所在线路的客户经理。"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_complaints",
    )
    queue_unit = models.ForeignKey(
        "users.OrgUnit",
        verbose_name=_("受理部门"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("案件所在的部门队列；其主管负责督办。"),
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visit_ref = models.CharField(_("走访记录"), max_length=40, blank=True)
    opened_at = models.DateTimeField(_("受理时间"))
    response_due = models.DateTimeField(_("响应截止"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("办结截止"), null=True, blank=True)
    deadline_note = models.CharField(_("时限说明"), max_length=200, blank=True)
    deadline_message = system_message_field()
    deadlines_provisional = models.BooleanField(
        _("暂定截止时间"),
        default=False,
        help_text=_(
            "截止时间跨入节假日日历尚未发布调休安排的年份，按法定节假日规则暂定；日历库更新后每日自动重新计算。"
        ),
    )
    responded_at = models.DateTimeField(_("响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    resolution = models.TextField(_("处理结果"), max_length=2000, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("重开次数"), default=0)
    version = models.PositiveIntegerField(_("版本"), default=1)
    follow_up = models.CharField(
        _("回访方式"), max_length=6, choices=FollowUp.choices, blank=True, default=""
    )
    follow_up_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("满意度"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    needs_supervisor_call = models.BooleanField(_("需主管回访"), default=False)

    class Meta:
        verbose_name = _("投诉与诉求")
        verbose_name_plural = _("投诉与诉求")
        ordering = ["-opened_at", "-id"]
        permissions = [("export_complaint", _("可以导出投诉报表"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__range=(1, 5)), name="complaint_rating_1_5"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "in_progress"]) | Q(assignee__isnull=False),
                name="complaint_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["resolved", "closed"]) | Q(resolved_at__isnull=False),
                name="complaint_resolved_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["retailer", "-opened_at"], name="complaint_retailer_recent"),
            models.Index(
                fields=["response_due"],
                name="complaint_open_response_due",
                condition=Q(status__in=["new", "assigned"]),
            ),
            models.Index(
                fields=["resolution_due"],
                name="complaint_open_resolution_due",
                condition=Q(status__in=["new", "assigned", "in_progress"]),
            ),
            models.Index(fields=["assignee", "status"], name="complaint_assignee_status"),
            models.Index(fields=["-opened_at", "-id"], name="complaint_keyset"),
        ]
        # the order's key, checked once per statement (sales_order is partitioned by month: its key is
        # (id, ordered_on), so no foreign key can name `id` alone); the refusal to delete a named order is the
        # trigger on sales_order in migration 0017 (a lower app's table)
        triggers = [
            pgtrigger.Trigger(
                name=f"complaint_order_exists_{operation_name}",
                level=pgtrigger.Statement,
                when=pgtrigger.After,
                operation=operation,
                referencing=pgtrigger.Referencing(new="new_rows"),
                func=COMPLAINT_ORDER_CHECK,
            )
            for operation_name, operation in (("insert", pgtrigger.Insert), ("update", pgtrigger.Update))
        ]

    def __str__(self):
        return f"#{self.pk}"

    # the deadline note in the reader's language (a provisional-deadline note is written by the system)
    deadline_note_display = SystemText("deadline_note", "deadline_message")

    def get_absolute_url(self):
        return reverse("feedback:complaint-detail", args=[self.pk])

    @property
    def rating_is_low(self) -> bool:
        return self.rating is not None and self.rating <= self.LOW_RATING_MAX

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ComplaintPhoto(models.Model):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    image = models.FileField(_("照片"), upload_to="complaints/%Y/%m/")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("投诉照片")
        verbose_name_plural = _("投诉照片")
        ordering = ["id"]

    def __str__(self):
        return self.image.name


class ComplaintEvent(models.Model):
    """One line of a case's timeline. Internal notes and escalations are for staff; the rest the retailer sees."""

    class Kind(models.TextChoices):
        # what happened, not a button: "Assigned", not "Assign"
        OPENED = "opened", _("受理")
        ASSIGNED = "assigned", pgettext_lazy("complaint timeline", "分派")
        STARTED = "started", pgettext_lazy("complaint timeline", "开始处理")
        NOTE = "note", _("备注")
        PHOTO = "photo", pgettext_lazy("complaint timeline", "上传照片")
        RESOLVED = "resolved", _("已解决")
        CLOSED = "closed", pgettext_lazy("complaint timeline", "关闭")
        REOPENED = "reopened", pgettext_lazy("complaint timeline", "重新打开")
        ESCALATED = "escalated", _("超时升级")
        FOLLOW_UP = "follow_up", _("满意度回访")
        RATED = "rated", _("满意度评价")

    # read through complaintevent_timeline (complaint, at): no index of its own, one fewer to write per event
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(_("事件"), max_length=12, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    text = models.TextField(_("说明"), max_length=2000, blank=True)
    message = system_message_field()
    is_internal = models.BooleanField(_("内部"), default=False)

    class Meta:
        verbose_name = _("投诉处理记录")
        verbose_name_plural = _("投诉处理记录")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["complaint", "at"], name="complaintevent_timeline")]

    def __str__(self):
        return f"{self.complaint_id} {self.kind}"

    # the line in the reader's language: a system-written one from its code, a person's note as written
    text_display = SystemText("text")


class ComplaintEscalation(models.Model):
    """The claim that a breach was escalated: one row per complaint × deadline × cycle (a reopen starts a new
    cycle), inserted before anyone is notified, so running the sweep twice or concurrently notifies once."""

    class Breach(models.TextChoices):
        RESPONSE = "response", _("响应超时")
        RESOLUTION = "resolution", _("办结超时")

    # read through complaintescalation_once (complaint, breach, cycle): no index of its own
    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="escalations", db_index=False
    )
    breach = models.CharField(_("超时类型"), max_length=10, choices=Breach.choices)
    cycle = models.PositiveSmallIntegerField(_("轮次"), default=0)
    due_at = models.DateTimeField(_("截止时间"))
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("升级至"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("升级时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("超时升级")
        verbose_name_plural = _("超时升级")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "breach", "cycle"], name="complaintescalation_once"),
        ]

    def __str__(self):
        return f"{self.complaint_id} {self.breach} {self.cycle}"


class ComplaintExport(models.Model):
    """One line per CSV export of complaints: who exported which filter and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(_("筛选条件"), default=dict)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("投诉导出记录")
        verbose_name_plural = _("投诉导出记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M} {self.row_count}"
