from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin
from users.models import ApiToken, OrgUnit, RegionUnit, Route, User
from users.selectors import org_units_visible, route_scope
from users.services import api_token_create, api_token_revoke, org_unit_create, user_activate, user_deactivate


@admin.register(OrgUnit)
class OrgUnitAdmin(ModelAdmin):
    list_display = ("name", "kind", "parent", "region_code", "path")
    list_filter = ("kind",)
    search_fields = ("name", "region_code")
    readonly_fields = ("path",)

    def get_readonly_fields(self, request, obj=None):
        # Moving a unit would re-parent its whole subtree and the retailers' scoping with it: not an edit.
        return ("path", "parent", "kind") if obj else ("path",)

    def get_queryset(self, request):
        return org_units_visible(user=request.user).select_related("parent")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        created = org_unit_create(
            name=obj.name, kind=obj.kind, parent=obj.parent, region_code=obj.region_code
        )
        obj.pk, obj.path = created.pk, created.path


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ModelAdmin):
    list_display = ("username", "display_name", "role", "org_unit", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff", "org_unit")
    search_fields = ("username", "display_name", "email")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("角色与单位"), {"fields": ("role", "org_unit", "display_name", "mobile")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("角色与单位"), {"fields": ("role", "org_unit", "display_name")}),
    )

    actions = ("deactivate_users",)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("org_unit")
        if request.user.is_company_admin:
            return qs
        return qs.filter(org_unit__in=org_units_visible(user=request.user))

    def save_model(self, request, obj, form, change):
        """Disabling (or enabling) a login goes through users.services: its sessions end and its API tokens are
        revoked at once. The form saves every other field, with is_active as it was."""
        if not change or "is_active" not in form.changed_data:
            super().save_model(request, obj, form, change)
            return
        wanted = obj.is_active
        obj.is_active = not wanted
        super().save_model(request, obj, form, change)
        if wanted:
            user_activate(user=obj)
        else:
            self._deactivated(request, [obj])

    @admin.action(description=_("停用所选账号（立即结束其会话、撤销其 API 令牌）"), permissions=["change"])
    def deactivate_users(self, request, queryset):
        self._deactivated(request, list(queryset.filter(is_active=True)))

    def _deactivated(self, request, users):
        sessions = tokens = 0
        for user in users:
            ended, revoked = user_deactivate(user=user)
            sessions, tokens = sessions + ended, tokens + revoked
        self.message_user(
            request,
            gettext("已停用 %(users)s 个账号，结束 %(sessions)s 个会话，撤销 %(tokens)s 个 API 令牌。")
            % {"users": len(users), "sessions": sessions, "tokens": tokens},
            messages.SUCCESS,
        )


@admin.register(Route)
class RouteAdmin(ModelAdmin):
    list_display = ("code", "name", "org_unit", "manager", "visit_weekday", "is_active")
    list_filter = ("is_active", "visit_weekday", "org_unit")
    search_fields = ("code", "name", "manager__username", "manager__display_name")
    autocomplete_fields = ("manager",)

    def get_queryset(self, request):
        return route_scope(user=request.user)


class ApiTokenForm(forms.ModelForm):
    days = forms.IntegerField(
        label=_("有效天数"),
        min_value=1,
        initial=lambda: settings.API_TOKEN_DAYS,
        help_text=_("到期后调用将被拒绝（401），需另建令牌。"),
    )

    class Meta:
        model = ApiToken
        fields = ("user", "name")


@admin.register(ApiToken)
class ApiTokenAdmin(ModelAdmin):
    """API tokens are made here (the key is shown once, in the message after saving) and revoked here; a token is
    never edited. Disabling the login revokes its tokens too."""

    list_display = ("prefix", "user", "name", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at", "expires_at")
    search_fields = ("prefix", "name", "user__username", "user__display_name")
    autocomplete_fields = ("user",)
    actions = ("revoke_tokens",)
    form = ApiTokenForm

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "days")
        return self.get_readonly_fields(request, obj)

    def has_change_permission(self, request, obj=None):
        return (
            False
            if obj is not None and request.method == "POST"
            else super().has_change_permission(request, obj)
        )

    def save_model(self, request, obj, form, change):
        if change:  # a token is never edited (its form is read-only)
            return
        token, key = api_token_create(user=obj.user, name=obj.name, days=form.cleaned_data["days"])
        obj.pk = token.pk
        self.message_user(
            request,
            gettext("新令牌（只显示这一次，请立即复制）：%(key)s") % {"key": key},
            messages.WARNING,
        )

    @admin.action(description=_("撤销所选令牌"), permissions=["change"])
    def revoke_tokens(self, request, queryset):
        count = api_token_revoke(token_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, gettext("已撤销 %(n)s 个令牌。") % {"n": count}, messages.SUCCESS)


@admin.register(RegionUnit)
class RegionUnitAdmin(ModelAdmin):
    """Which department a licence of a region joins when the licence office's file names none."""

    list_display = ("region_code", "org_unit", "note")
    search_fields = ("region_code", "org_unit__name", "note")
    autocomplete_fields = ("org_unit",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("org_unit")
            .filter(org_unit__in=org_units_visible(user=request.user))
        )
