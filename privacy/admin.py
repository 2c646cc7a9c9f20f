"""Admin of personal-information requests: read, and the same actions as the page (each one service call); the log
and the anonymisations are read-only records. Scoped like every admin page (accounts.selectors.retailer_scope)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin
from core.errors import ConflictError, error_text
from privacy import services
from privacy.models import PrivacyLog, PrivacyRequest, RetailerAnonymisation


class _Scoped(ModelAdmin):
    def get_queryset(self, request):
        return (
            super().get_queryset(request).filter(retailer__in=retailer_scope(user=request.user).values("pk"))
        )

    def has_delete_permission(self, request, obj=None):
        return False


class _ReadOnly(_Scoped):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _run(modeladmin, request, queryset, service, done_message):
    done = 0
    for item in queryset:
        try:
            service(actor=request.user, request=item)
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{item}: {error_text(exc)}", messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, done_message % {"n": done}, messages.SUCCESS)


@admin.action(description=_("按请求更正"), permissions=["change"])
def correct_action(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.privacy_correction_apply, _("已更正 %(n)s 个请求。"))


@admin.action(description=_("批准删除（匿名化）"), permissions=["approve"])
def approve_action(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.privacy_erasure_approve, _("已批准 %(n)s 个删除请求。"))


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(_Scoped):
    """Requests are registered on the page or the API (deadline, checks); the admin reads them and runs the actions."""

    list_display = ("id", "retailer", "kind", "status", "received_at", "due_at", "created_by", "decided_by")
    list_filter = ("kind", "status", "channel")
    search_fields = ("retailer__customer_code", "retailer__shop_name")
    raw_id_fields = ("retailer",)
    readonly_fields = [f.name for f in PrivacyRequest._meta.fields]
    exclude = ("corrections",)
    actions = [correct_action, approve_action]

    def has_add_permission(self, request):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("privacy.approve_privacyrequest")


@admin.register(PrivacyLog)
class PrivacyLogAdmin(_ReadOnly):
    list_display = ("at", "retailer", "request", "code", "user")
    list_filter = ("code",)
    raw_id_fields = ("retailer", "request")


@admin.register(RetailerAnonymisation)
class RetailerAnonymisationAdmin(_ReadOnly):
    list_display = ("at", "retailer", "reason", "request")
    list_filter = ("reason",)
    raw_id_fields = ("retailer", "request")
