"""The admin's base classes, used by every app's admin (a test walks the registered admins), and the admin of
core's own model.

- `ModelAdmin`: an object outside what the user's admin lists (`get_queryset`, scoped by territory in each app)
  is a 404 on its change, history and delete pages — as on every other path — not Django's redirect to the admin
  index with "does not exist".
- `ReadOnlyAdmin`: rows written only by services and jobs; the admin reads them."""

from django.contrib import admin
from django.http import Http404
from django.utils.translation import gettext as _

from core.models import IdempotencyKey


class ModelAdmin(admin.ModelAdmin):
    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404(_("没有这条记录，或它不在您的权限范围内。"))


class ReadOnlyAdmin(ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    """Written only by core.idempotency; read here to answer "did my retry run twice?"."""

    list_display = ("principal", "key", "endpoint", "status_code", "created_at")
    search_fields = ("=key", "=principal")
