from django.contrib import admin

from core.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Written only by core.idempotency; read here to answer "did my retry run twice?"."""

    list_display = ("principal", "key", "endpoint", "status_code", "created_at")
    search_fields = ("=key", "=principal")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
