from django.contrib import admin

from cockpit.models import KpiAlert, KpiSnapshot, KpiTarget, MonthlyReport, Notice
from cockpit.services.targets import target_save
from core.admin import ModelAdmin


@admin.register(KpiTarget)
class KpiTargetAdmin(ModelAdmin):
    list_display = ("org_unit", "kpi", "period", "value", "amber_margin_pct", "starts_on", "ends_on")
    list_filter = ("period", "kpi")
    search_fields = ("org_unit__name", "kpi")
    autocomplete_fields = ("org_unit",)
    readonly_fields = ("created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        target_save(actor=request.user, data=dict(form.cleaned_data), target=obj)


@admin.register(KpiAlert)
class KpiAlertAdmin(ModelAdmin):
    list_display = ("target", "period_start", "value", "crossed_at", "recovered_at")
    list_filter = ("recovered_at",)
    search_fields = ("target__org_unit__name", "target__kpi")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(ModelAdmin):
    list_display = ("kpi", "org_unit", "manager", "period", "period_start", "num", "den", "computed_at")
    list_filter = ("period", "kpi")
    search_fields = ("org_unit__name", "manager__username", "kpi")
    raw_id_fields = ("org_unit", "manager")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Notice)
class NoticeAdmin(ModelAdmin):
    list_display = ("recipient", "kind", "created_at", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("recipient__username",)
    raw_id_fields = ("recipient",)

    def has_add_permission(self, request):
        return False


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ModelAdmin):
    list_display = ("org_unit", "month", "generated_at", "generated_by")
    search_fields = ("org_unit__name",)
    raw_id_fields = ("org_unit", "generated_by")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
