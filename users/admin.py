from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from users.models import OrgUnit, RegionUnit, Route, User
from users.selectors import org_units_visible, routes_visible
from users.services import org_unit_create


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
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
class UserAdmin(DjangoUserAdmin):
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

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("org_unit")
        if request.user.is_company_admin:
            return qs
        return qs.filter(org_unit__in=org_units_visible(user=request.user))


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "org_unit", "manager", "visit_weekday", "is_active")
    list_filter = ("is_active", "visit_weekday", "org_unit")
    search_fields = ("code", "name", "manager__username", "manager__display_name")
    autocomplete_fields = ("manager",)

    def get_queryset(self, request):
        return routes_visible(user=request.user)


@admin.register(RegionUnit)
class RegionUnitAdmin(admin.ModelAdmin):
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
