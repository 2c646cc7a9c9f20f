"""Admin for every survey model. Questionnaires are edited here while drafts (a published one is read-only and
changes by a new version); surveys, invitations, responses and exports are written by services only, so their
pages are read-only, scoped to the user's territory, and the actions call services."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.selectors import retailer_scope
from core.admin import ModelAdmin, ReadOnlyAdmin
from core.errors import ConflictError
from feedback.surveys.models import (
    QuestionArea,
    QuestionItem,
    Questionnaire,
    Survey,
    SurveyAnswer,
    SurveyAreaScore,
    SurveyExport,
    SurveyInvitation,
    SurveyResponse,
    SurveyStratum,
)
from feedback.surveys.selectors import survey_scope
from feedback.surveys.services import questionnaires
from feedback.surveys.services import surveys as services


def _retailers(request):
    return retailer_scope(user=request.user).values("id")


def _run(request, action, label):
    try:
        action()
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, f"{label}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        return False
    return True


class FrozenWhenPublished:
    def has_change_permission(self, request, obj=None):
        questionnaire = getattr(obj, "questionnaire", None) or getattr(
            getattr(obj, "area", None), "questionnaire", obj
        )
        if questionnaire is not None and getattr(questionnaire, "is_frozen", False):
            return False
        return super().has_change_permission(request, obj)

    has_delete_permission = has_change_permission


class QuestionAreaInline(admin.TabularInline):
    model = QuestionArea
    extra = 0
    fields = ("position", "name", "weight")

    def has_change_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj and obj.is_frozen) and super().has_delete_permission(request, obj)


@admin.register(Questionnaire)
class QuestionnaireAdmin(FrozenWhenPublished, ModelAdmin):
    list_display = ("name", "code", "version", "state", "published_at", "created_at")
    list_filter = ("state", "code")
    search_fields = ("name", "code")
    readonly_fields = ("state", "published_at", "created_by", "created_at")
    inlines = [QuestionAreaInline]
    actions = ["publish", "new_version"]

    @admin.action(description=_("发布所选草稿"))
    def publish(self, request, queryset):
        done = sum(
            _run(
                request,
                lambda q=q: questionnaires.questionnaire_publish(actor=request.user, questionnaire=q),
                str(q),
            )
            for q in queryset
        )
        if done:
            messages.success(request, _("已发布 %(n)s 份问卷。") % {"n": done})

    @admin.action(description=_("为所选问卷生成新版本（草稿）"))
    def new_version(self, request, queryset):
        for q in queryset:
            _run(
                request,
                lambda q=q: questionnaires.questionnaire_new_version(actor=request.user, questionnaire=q),
                str(q),
            )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class QuestionItemInline(admin.TabularInline):
    model = QuestionItem
    extra = 0
    fields = ("position", "text", "kind", "required", "choices")


@admin.register(QuestionArea)
class QuestionAreaAdmin(FrozenWhenPublished, ModelAdmin):
    list_display = ("name", "questionnaire", "weight", "position")
    list_filter = ("questionnaire__code", "questionnaire__state")
    search_fields = ("name", "questionnaire__name")
    inlines = [QuestionItemInline]


@admin.register(QuestionItem)
class QuestionItemAdmin(FrozenWhenPublished, ModelAdmin):
    list_display = ("text", "area", "kind", "required", "position")
    list_filter = ("kind", "required", "area__questionnaire__code")
    search_fields = ("text", "area__name")


class StratumInline(admin.TabularInline):
    model = SurveyStratum
    extra = 0
    can_delete = False
    fields = ("market_type", "business_format", "scale", "population", "sample_size")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = (
        "name",
        "period",
        "org_unit",
        "state",
        "allocation",
        "seed",
        "invited_at",
        "reminder_count",
    )
    list_filter = ("state", "period", "allocation")
    search_fields = ("name", "seed")
    list_select_related = ("org_unit",)
    inlines = [StratumInline]
    actions = ["remind", "close"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(pk__in=survey_scope(user=request.user).values("id"))

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.has_perm("feedback.run_survey")  # for the actions only

    @admin.action(description=_("提醒未答卷的客户"))
    def remind(self, request, queryset):
        for survey in queryset:
            _run(request, lambda s=survey: services.survey_remind(actor=request.user, survey=s), str(survey))

    @admin.action(description=_("结束调查"))
    def close(self, request, queryset):
        for survey in queryset:
            _run(request, lambda s=survey: services.survey_close(actor=request.user, survey=s), str(survey))


@admin.register(SurveyStratum)
class SurveyStratumAdmin(ReadOnlyAdmin):
    list_display = ("survey", "market_type", "business_format", "scale", "population", "sample_size")
    list_filter = ("market_type", "business_format", "scale")
    search_fields = ("survey__name",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(survey__in=survey_scope(user=request.user).values("id"))


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("survey", "retailer", "weight", "invited_at", "last_reminded_at", "answered_at")
    list_filter = ("survey__period", ("answered_at", admin.EmptyFieldListFilter))
    search_fields = ("retailer__shop_name", "retailer__customer_code", "survey__name")
    list_select_related = ("survey", "retailer")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailers(request))


class AnswerInline(admin.TabularInline):
    model = SurveyAnswer
    extra = 0
    can_delete = False
    fields = ("item", "number", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("survey", "retailer", "overall_score", "nps_value", "weight", "submitted_at")
    list_filter = ("survey__period", "survey")
    search_fields = ("retailer__shop_name", "retailer__customer_code")
    list_select_related = ("survey", "retailer")
    inlines = [AnswerInline]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(retailer__in=_retailers(request))


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("response", "item", "number", "text")
    list_filter = ("item__kind", "response__survey__period")
    search_fields = ("text", "item__text")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(response__retailer__in=_retailers(request))


@admin.register(SurveyAreaScore)
class SurveyAreaScoreAdmin(ReadOnlyAdmin):
    list_display = ("response", "area", "score")
    list_filter = ("area__name", "response__survey__period")
    search_fields = ("area__name", "response__retailer__shop_name")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(response__retailer__in=_retailers(request))


@admin.register(SurveyExport)
class SurveyExportAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "survey", "row_count")
    list_filter = ("created_at",)
    search_fields = ("user__username", "survey__name")
    list_select_related = ("user", "survey")

    def get_queryset(self, request):
        return super().get_queryset(request).filter(survey__in=survey_scope(user=request.user).values("id"))
