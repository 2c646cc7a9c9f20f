from django.contrib import admin

from core.admin import ModelAdmin
from workspace.models import TaskRun


@admin.register(TaskRun)
class TaskRunAdmin(ModelAdmin):
    """The periodic tasks' run log (read-only: written by the worker's hooks)."""

    list_display = ("periodic_task_name", "task_name", "started_at", "duration_ms", "outcome", "error")
    list_filter = ("outcome", "periodic_task_name")
    search_fields = ("periodic_task_name", "task_name", "error")
    date_hierarchy = "started_at"
    readonly_fields = [f.name for f in TaskRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
