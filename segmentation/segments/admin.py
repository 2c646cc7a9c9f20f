"""Admin of saved segments: every save through segments.services, archived rather than deleted."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.admin import ModelAdmin
from segmentation.segments.models import Segment
from segmentation.segments.rules import definition_describe, definition_validate
from segmentation.segments.selectors import segment_list, segment_units_usable
from segmentation.segments.services import segment_archive, segment_create, segment_may_change, segment_update


class SegmentAdminForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "org_unit", "definition"]

    def clean_definition(self):
        """The rules as the builder checks them for this user (rows of other tables they may not see refused)."""
        try:
            return definition_validate(self.cleaned_data["definition"], user=self.user)
        except ValidationError as exc:
            raise ValidationError(exc.error_list) from exc


@admin.register(Segment)
class SegmentAdmin(ModelAdmin):
    """Segments the admin user may see; every save goes through segments.services (create, update), and
    segments are archived rather than deleted."""

    form = SegmentAdminForm
    list_display = ("name", "org_unit", "is_archived", "created_by", "updated_by", "updated_at")
    list_filter = ("is_archived", ("org_unit", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("org_unit", "created_by", "updated_by")
    search_fields = ("name", "description")
    readonly_fields = ("rules_text", "is_archived", "created_by", "updated_by", "created_at", "updated_at")
    actions = ["archive_selected"]

    def get_queryset(self, request):
        return segment_list(user=request.user, filters={"archived": None})

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "org_unit":
            kwargs["queryset"] = segment_units_usable(user=request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (
            obj is None or (segment_may_change(user=request.user, segment=obj) and not obj.is_archived)
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("规则说明"))
    def rules_text(self, obj):
        return definition_describe(obj.definition) if obj else ""

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data[name] for name in ("name", "description", "org_unit", "definition")}
        if change:
            segment_update(user=request.user, segment=obj, **data)
        else:
            obj.pk = segment_create(user=request.user, **data).pk
        obj.refresh_from_db()

    @admin.action(description=_("归档所选分群"))
    def archive_selected(self, request, queryset):
        for segment in queryset:
            segment_archive(user=request.user, segment=segment)
        self.message_user(request, _("已归档 %(n)s 个分群。") % {"n": queryset.count()})
