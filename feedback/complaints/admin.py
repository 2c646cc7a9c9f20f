"""Admin for complaints. Categories are edited here (deadlines, routing); cases are read-only and scoped — every
state change goes through the services (the "escalate now" action runs the same sweep beat runs)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin, ReadOnlyAdmin
from feedback.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintExport,
    ComplaintPhoto,
)
from feedback.complaints.selectors import complaint_scope
from feedback.complaints.services.deadlines import complaints_deadlines_recompute
from feedback.complaints.services.escalation import complaints_escalate
from feedback.complaints.workcal import calendar_coverage


@admin.register(ComplaintCategory)
class ComplaintCategoryAdmin(ModelAdmin):
    list_display = (
        "name",
        "code",
        "response_hours",
        "resolution_hours",
        "same_day_dispatch",
        "default_priority",
        "routing",
        "queue_unit",
        "is_active",
        "sort_order",
    )
    list_filter = ("routing", "default_priority", "same_day_dispatch", "is_active")
    list_editable = ("is_active", "sort_order")
    search_fields = ("name", "code")
    autocomplete_fields = ("queue_unit",)

    def changelist_view(self, request, extra_context=None):
        """Says when the holiday calendar lacks next year's official schedule: deadlines crossing into it are
        provisional (flagged on the cases) until the library is upgraded; the nightly run then recomputes them."""
        from django.utils import timezone

        _first, last = calendar_coverage()
        year = timezone.localdate().year
        if last < year + 1:
            self.message_user(
                request,
                _(
                    "节假日日历库只包含到 %(last)s 年的放假与调休安排；跨入 %(next)s 年的投诉截止时间为暂定（按法定节假日规则，不含调休）。请在国务院通知发布后升级 holidays 库，暂定截止时间将于每晚自动重新计算。"
                )
                % {"last": last, "next": last + 1},
                level=messages.WARNING,
            )
        return super().changelist_view(request, extra_context)


class EventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "from_status", "to_status", "text", "is_internal")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.display(description=_("照片"))
def photo_link(photo: ComplaintPhoto):
    """Media is never served publicly: the link is the case's own photo view, which checks the case's scope."""
    url = reverse("feedback:complaint-photo", args=[photo.complaint_id, photo.pk])
    return format_html('<a href="{}">{}</a>', url, photo.image.name.rsplit("/", 1)[-1])


class PhotoInline(admin.TabularInline):
    model = ComplaintPhoto
    extra = 0
    can_delete = False
    fields = (photo_link, "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "retailer",
        "category",
        "channel",
        "priority",
        "status",
        "assignee",
        "opened_at",
        "response_due",
        "resolution_due",
        "deadlines_provisional",
        "rating",
        "needs_supervisor_call",
    )
    list_filter = (
        "status",
        "category",
        "channel",
        "priority",
        "follow_up",
        "needs_supervisor_call",
        "deadlines_provisional",
        "kind",
    )
    search_fields = ("=id", "retailer__shop_name", "retailer__customer_code", "description")
    list_select_related = ("retailer", "category", "assignee")
    date_hierarchy = "opened_at"
    inlines = [EventInline, PhotoInline]
    actions = ["escalate_now", "recompute_deadlines"]

    def get_queryset(self, request):
        return complaint_scope(user=request.user).select_related("retailer", "category", "assignee")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("feedback.view_complaint")

    @admin.action(description=_("立即检查超时并升级（与定时任务相同）"), permissions=["view"])
    def escalate_now(self, request, queryset):
        count = complaints_escalate()
        self.message_user(request, _("已升级 %(n)s 项超时。") % {"n": count})

    @admin.action(description=_("重新计算暂定或缺失的截止时间（升级日历库后）"), permissions=["view"])
    def recompute_deadlines(self, request, queryset):
        count = complaints_deadlines_recompute(complaint_ids=queryset.values_list("pk", flat=True))
        self.message_user(request, _("已为 %(n)s 件投诉重新计算截止时间。") % {"n": count})


@admin.register(ComplaintEscalation)
class ComplaintEscalationAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "breach", "cycle", "due_at", "escalated_to", "created_at")
    list_filter = ("breach",)
    search_fields = ("=complaint__id", "complaint__retailer__shop_name")
    list_select_related = ("complaint", "escalated_to")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(complaint__in=complaint_scope(user=request.user).values("pk"))
        )


@admin.register(ComplaintEvent)
class ComplaintEventAdmin(ReadOnlyAdmin):
    list_display = ("complaint", "kind", "actor", "at", "is_internal")
    list_filter = ("kind", "is_internal")
    search_fields = ("=complaint__id", "text")
    list_select_related = ("complaint", "actor")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(complaint__in=complaint_scope(user=request.user).values("pk"))
        )


@admin.register(ComplaintPhoto)
class ComplaintPhotoAdmin(ReadOnlyAdmin):
    list_display = ("complaint", photo_link, "content_type", "size", "uploaded_at")
    fields = ("complaint", photo_link, "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    list_filter = ("content_type",)
    search_fields = ("=complaint__id",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(complaint__in=complaint_scope(user=request.user).values("pk"))
        )


@admin.register(ComplaintExport)
class ComplaintExportAdmin(ReadOnlyAdmin):
    list_display = ("user", "created_at", "row_count", "filters")
    list_filter = ("created_at",)
    search_fields = ("user__username", "user__display_name")
    list_select_related = ("user",)
