"""Admin for outreach. Campaign transitions and journey switches go through the services (bulk actions too); the
send log and the replies are read-only (written only by the engine and the webhooks)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.selectors import retailer_scope
from campaigns.models import Campaign, CampaignUplift, Delivery, InboundReply, Journey, MessageTemplate
from campaigns.selectors import campaign_list, journey_list, template_list
from campaigns.services.campaigns import campaign_cancel, campaign_pause, campaign_resume
from campaigns.services.journeys import journey_update
from core.admin import ModelAdmin, ReadOnlyAdmin
from core.errors import ConflictError


def _each(modeladmin, request, queryset, service, **kwargs):
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{kwargs.get("name", "campaign"): obj}, **kwargs.get("extra", {}))
            done += 1
        except (PermissionDenied, ConflictError, ValidationError) as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", level=messages.WARNING)
    modeladmin.message_user(request, f"{done} 项已处理。")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ModelAdmin):
    list_display = ("name", "channel", "org_unit", "is_active", "created_by", "updated_at")
    list_filter = ("channel", "is_active")
    search_fields = ("name", "body", "subject")
    readonly_fields = ("created_by", "created_at", "updated_at")

    def get_queryset(self, request):
        return template_list(user=request.user)

    def has_change_permission(self, request, obj=None):
        # edited through the template editor, which validates the SMS rules
        return False


@admin.register(Campaign)
class CampaignAdmin(ModelAdmin):
    list_display = (
        "name",
        "state",
        "channel",
        "purpose",
        "org_unit",
        "recipient_count",
        "launched_at",
        "finished_at",
    )
    list_filter = ("state", "channel", "purpose", "schedule_kind")
    search_fields = ("name",)
    date_hierarchy = "created_at"
    actions = ("pause_selected", "resume_selected", "cancel_selected")
    raw_id_fields = ("segment", "template", "journey", "parent")

    def get_queryset(self, request):
        return campaign_list(user=request.user)

    def has_add_permission(self, request):
        return False  # campaigns are drafted and approved in the app, by two people

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="暂停所选活动")
    def pause_selected(self, request, queryset):
        _each(self, request, queryset, campaign_pause)

    @admin.action(description="恢复所选活动")
    def resume_selected(self, request, queryset):
        _each(self, request, queryset, campaign_resume)

    @admin.action(description="取消所选活动")
    def cancel_selected(self, request, queryset):
        _each(self, request, queryset, campaign_cancel)


@admin.register(Journey)
class JourneyAdmin(ModelAdmin):
    list_display = ("kind", "org_unit", "enabled", "channel", "template", "send_time", "last_run_on")
    list_filter = ("kind", "enabled", "channel")
    actions = ("switch_off",)

    def get_queryset(self, request):
        return journey_list(user=request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="停用所选自动触达")
    def switch_off(self, request, queryset):
        _each(self, request, queryset, journey_update, name="journey", extra={"data": {"enabled": False}})


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "campaign",
        "retailer",
        "channel",
        "state",
        "reason",
        "attempts",
        "sent_at",
        "delivered_at",
    )
    list_filter = ("state", "reason", "channel", "is_holdout")
    search_fields = ("=id", "=provider_message_id", "campaign__name")
    raw_id_fields = ("campaign", "retailer")
    exclude = ("address",)  # a phone number or email in full: shown on the retailer's page, masked, logged
    show_full_result_count = False

    def get_queryset(self, request):
        return Delivery.objects.filter(
            retailer__in=retailer_scope(user=request.user).values("id")
        ).select_related("campaign", "retailer")


@admin.register(InboundReply)
class InboundReplyAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "from_number", "text", "is_opt_out", "retailers_opted_out")
    list_filter = ("is_opt_out",)
    search_fields = ("from_number", "text")
    show_full_result_count = False

    def get_queryset(self, request):
        """A reply is seen by those who may see a retailer with that mobile number; one from a number no retailer
        has (yet) only by the company's administrators."""
        replies = super().get_queryset(request)
        if request.user.is_company_admin:
            return replies
        return replies.filter(from_number__in=retailer_scope(user=request.user).values("mobile"))


@admin.register(CampaignUplift)
class CampaignUpliftAdmin(ReadOnlyAdmin):
    """Written only by campaigns.services.uplift (the hourly KPI job); of the campaigns the user may see."""

    list_display = (
        "campaign",
        "window_start",
        "window_end",
        "treated_n",
        "treated_ordered",
        "holdout_n",
        "holdout_ordered",
        "computed_at",
    )
    list_filter = ("window_end",)
    search_fields = ("campaign__name",)

    def get_queryset(self, request):
        return CampaignUplift.objects.filter(
            campaign__in=campaign_list(user=request.user).values("pk")
        ).select_related("campaign")
