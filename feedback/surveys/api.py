"""REST API of the survey side under /api/v1/: survey-questionnaires (read; publish, new version), surveys (list,
create, strata plan, draw, invite, remind, close, results, trends, export) and survey-responses (read, cursor
pagination). Scoped like the pages: another territory's survey or response answers 404."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from campaigns.models import Campaign
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from core.spreadsheet import csv_response
from feedback.surveys import indices as survey_indices
from feedback.surveys import selectors
from feedback.surveys.models import (
    QuestionArea,
    QuestionItem,
    Questionnaire,
    Survey,
    SurveyAnswer,
    SurveyResponse,
)
from feedback.surveys.services import questionnaires
from feedback.surveys.services import surveys as services
from segmentation.segments.selectors import segment_list
from users.models import OrgUnit


# ---- questionnaires ----------------------------------------------------------------------------------------------
class ItemSerializer(StrictModelSerializer):
    class Meta:
        model = QuestionItem
        fields = ["id", "text", "kind", "required", "choices", "position"]


class AreaSerializer(StrictModelSerializer):
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = QuestionArea
        fields = ["id", "name", "weight", "position", "items"]


class QuestionnaireSerializer(StrictModelSerializer):
    status = serializers.ChoiceField(source="state", choices=Questionnaire.State.choices, read_only=True)
    areas = AreaSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["id", "code", "version", "name", "intro", "status", "published_at", "areas"]


class QuestionnaireViewSet(IdempotentCreateMixin, viewsets.ReadOnlyModelViewSet):
    idempotent_actions = ("new_version",)
    serializer_class = QuestionnaireSerializer
    permission_classes = [needs("feedback.view_questionnaire")]
    pagination_class = NewestFirst

    def get_queryset(self):
        return Questionnaire.objects.prefetch_related("areas__items")

    @extend_schema(request=None, responses={200: QuestionnaireSerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.change_questionnaire")])
    def publish(self, request, pk=None):
        questionnaire = questionnaires.questionnaire_publish(
            actor=request.user, questionnaire=self.get_object()
        )
        return Response(QuestionnaireSerializer(questionnaire).data)

    @extend_schema(request=None, responses={201: QuestionnaireSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="new-version",
        permission_classes=[needs("feedback.add_questionnaire")],
    )
    def new_version(self, request, pk=None):
        copy = questionnaires.questionnaire_new_version(actor=request.user, questionnaire=self.get_object())
        return Response(
            self.get_serializer(Questionnaire.objects.get(pk=copy.pk)).data, status=status.HTTP_201_CREATED
        )


# ---- surveys -----------------------------------------------------------------------------------------------------
class SurveySerializer(StrictModelSerializer):
    status = serializers.ChoiceField(source="state", choices=Survey.State.choices, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id",
            "name",
            "questionnaire",
            "period",
            "org_unit",
            "segment",
            "allocation",
            "sample_size",
            "min_per_stratum",
            "per_stratum",
            "seed",
            "status",
            "campaign",
            "reminder_count",
            "created_at",
            "sampled_at",
            "invited_at",
            "closed_at",
        ]
        read_only_fields = [
            "status",
            "campaign",
            "reminder_count",
            "created_at",
            "sampled_at",
            "invited_at",
            "closed_at",
        ]
        extra_kwargs = {"questionnaire": {"queryset": Questionnaire.objects.all()}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            self.fields["segment"].queryset = segment_list(user=request.user, filters={"archived": None})
        self.fields["org_unit"].queryset = OrgUnit.objects.all()

    def validate(self, attrs):
        return attrs  # the service validates the survey as a whole


class StratumSerializer(StrictSerializer):
    code = serializers.CharField()
    business_format = serializers.CharField()
    scale = serializers.CharField()
    market_type = serializers.CharField()
    population = serializers.IntegerField()
    sample_size = serializers.IntegerField()
    weight = serializers.FloatField(allow_null=True)


class ProgressStratumSerializer(StrictSerializer):
    code = serializers.CharField(source="stratum.code")
    population = serializers.IntegerField(source="stratum.population")
    sampled = serializers.IntegerField()
    invited = serializers.IntegerField()
    answered = serializers.IntegerField()
    weight = serializers.FloatField(source="stratum.weight")


class AreaIndexSerializer(StrictSerializer):
    area_id = serializers.IntegerField()
    name = serializers.CharField()
    weight = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField()


class ResultsSerializer(StrictSerializer):
    sampled = serializers.IntegerField()
    invited = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.FloatField(allow_null=True, help_text="answered ÷ invited × 100")
    index = serializers.FloatField(
        allow_null=True, help_text="satisfaction index 0–100, weighted by sampling weights"
    )
    unweighted_index = serializers.FloatField(allow_null=True)
    nps = serializers.FloatField(
        allow_null=True, help_text="% promoters (9–10) − % detractors (0–6), weighted"
    )
    areas = AreaIndexSerializer(many=True)
    strata = ProgressStratumSerializer(many=True)


class TrendSerializer(StrictSerializer):
    period = serializers.CharField()
    index = serializers.FloatField(allow_null=True)
    nps = serializers.FloatField(allow_null=True)
    responses = serializers.IntegerField()
    key = serializers.IntegerField(required=False, allow_null=True)
    label = serializers.CharField(required=False)


INVITE_REQUEST = inline_serializer("SurveyInviteRequest", {"campaign": serializers.IntegerField()})


class SurveyViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = SurveySerializer
    permission_classes = [needs("feedback.view_survey")]
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.survey_list(user=self.request.user).order_by("-id")

    def get_permissions(self):
        if self.action == "create":
            return [needs("feedback.run_survey")()]
        return super().get_permissions()

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        survey = services.survey_create(
            actor=request.user,
            name=data["name"],
            questionnaire=data["questionnaire"],
            period=data["period"],
            org_unit=data["org_unit"],
            segment=data["segment"],
            allocation=data.get("allocation", Survey.Allocation.PROPORTIONAL),
            sample_size=data.get("sample_size", 0),
            min_per_stratum=data.get("min_per_stratum", 0),
            per_stratum=data.get("per_stratum", 0),
            seed=data["seed"],
        )
        return Response(self.get_serializer(survey).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: StratumSerializer(many=True)})
    @action(detail=True, methods=["get"], permission_classes=[needs("feedback.run_survey")])
    def strata(self, request, pk=None):
        """The strata table the draw would use (population and sample per stratum); writes nothing."""
        survey = self.get_object()
        if not services.survey_may_run(user=request.user, survey=survey):  # as the page: only who may draw it
            raise PermissionDenied(_("您没有此操作的权限。"))
        plan = services.survey_strata_plan(survey=survey)
        return Response(StratumSerializer(plan, many=True).data)

    @extend_schema(request=None, responses={200: StratumSerializer(many=True)})
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.run_survey")])
    def draw(self, request, pk=None):
        strata = services.survey_sample_draw(actor=request.user, survey=self.get_object())
        return Response(StratumSerializer(strata, many=True).data)

    @extend_schema(request=INVITE_REQUEST, responses={200: SurveySerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.run_survey")])
    def invite(self, request, pk=None):
        survey = self.get_object()
        campaign_id = request.data.get("campaign")
        campaign = (
            Campaign.objects.filter(pk=campaign_id).first() if str(campaign_id or "").isdigit() else None
        )
        if campaign is None:
            raise ValidationError({"campaign": [_("请选择一个已审批的邀请活动。")]})
        services.survey_invite(actor=request.user, survey=survey, campaign=campaign)
        survey.refresh_from_db()
        return Response(self.get_serializer(survey).data)

    @extend_schema(request=None, responses={200: SurveySerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.run_survey")])
    def remind(self, request, pk=None):
        survey = self.get_object()
        services.survey_remind(actor=request.user, survey=survey)
        survey.refresh_from_db()
        return Response(self.get_serializer(survey).data)

    @extend_schema(request=None, responses={200: SurveySerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.run_survey")])
    def close(self, request, pk=None):
        survey = services.survey_close(actor=request.user, survey=self.get_object())
        return Response(self.get_serializer(survey).data)

    @extend_schema(responses={200: ResultsSerializer})
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        survey = self.get_object()
        progress = selectors.survey_progress(user=request.user, survey=survey)
        indices = survey_indices.survey_indices(user=request.user, survey=survey)
        body = {
            "sampled": progress.sampled,
            "invited": progress.invited,
            "answered": progress.answered,
            "response_rate": progress.rate,
            "index": indices.index,
            "unweighted_index": indices.unweighted_index,
            "nps": indices.nps,
            "areas": indices.areas,
            "strata": progress.strata,
        }
        return Response(ResultsSerializer(body).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "by", OpenApiTypes.STR, enum=["total", "org_unit", "manager"], description="grouping"
            )
        ],
        responses={200: TrendSerializer(many=True)},
    )
    @action(detail=False, methods=["get"], pagination_class=None)  # all the trend rows, not a page
    def trends(self, request):
        """Weighted satisfaction index and NPS per quarter, in total or by org unit / customer manager."""
        by = request.query_params.get("by", "total")
        if by not in ("total", "org_unit", "manager"):
            by = "total"
        return Response(TrendSerializer(survey_indices.index_trend(user=request.user, by=by), many=True).data)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
    @action(detail=True, methods=["get"], permission_classes=[needs("feedback.export_survey")])
    def export(self, request, pk=None):
        """The answers as CSV (logged with who, which survey and how many rows)."""
        survey = self.get_object()
        export = services.survey_export_log(user=request.user, survey=survey)
        rows = list(selectors.survey_export_rows(user=request.user, survey=survey))
        services.survey_export_count_set(export=export, row_count=len(rows) - 1)
        return csv_response(rows[0], rows[1:], filename=f"survey-{survey.pk}.csv")


# ---- responses ---------------------------------------------------------------------------------------------------
class AnswerSerializer(StrictModelSerializer):
    class Meta:
        model = SurveyAnswer
        fields = ["item", "number", "text"]


class AreaScoreSerializer(StrictSerializer):
    area = serializers.IntegerField(source="area_id")
    score = serializers.FloatField()


class SurveyResponseSerializer(StrictModelSerializer):
    answers = AnswerSerializer(many=True, read_only=True)
    area_scores = AreaScoreSerializer(many=True, read_only=True)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "survey",
            "retailer",
            "weight",
            "overall_score",
            "nps_value",
            "submitted_at",
            "area_scores",
            "answers",
        ]


class SurveyResponseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = SurveyResponseSerializer
    permission_classes = [needs("feedback.view_surveyresponse")]
    pagination_class = NewestFirst

    def get_queryset(self):
        qs = selectors.response_list(user=self.request.user).prefetch_related("answers", "area_scores")
        survey = self.request.query_params.get("survey")
        if survey and survey.isdigit():
            qs = qs.filter(survey_id=int(survey))
        return qs

    @extend_schema(parameters=[OpenApiParameter("survey", OpenApiTypes.INT, description="only this survey")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
