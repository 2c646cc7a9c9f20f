"""REST API of scoring: /api/v1/scores/ (current scores in the caller's territory, with cluster and churn risk),
/api/v1/scoring-runs/ (with the churn model's AUCs) and /api/v1/scoring-events/."""

from django_filters import rest_framework as filters
from rest_framework import mixins, permissions, serializers, viewsets

from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from segmentation.scoring.models import RetailerScore, ScoringEvent, ScoringRun
from segmentation.scoring.rules import SCORE_COLUMNS
from segmentation.scoring.selectors import score_list, scoring_event_list
from segmentation.scoring.services import scoring_run_may_start, scoring_run_start


class ScoreCursorPagination(CursorPage):
    ordering = "-retailer_id"


class RetailerScoreSerializer(StrictModelSerializer):
    cluster_name = serializers.CharField(source="cluster.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = RetailerScore
        fields = [
            "retailer",
            "run",
            *(c.removesuffix("_id") for c in SCORE_COLUMNS),
            "cluster",
            "cluster_name",
            "churn_probability",
            "churn_reason",
            "computed_at",
        ]
        read_only_fields = fields


class RetailerScoreFilter(filters.FilterSet):
    churn_probability_min = filters.NumberFilter(field_name="churn_probability", lookup_expr="gte")
    cluster = filters.NumberFilter(field_name="cluster_id")

    class Meta:
        model = RetailerScore
        fields = ["lifecycle", "rfm_segment", "value_class", "loyalty_class", "is_top20", "churn_reason"]


class RetailerScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Current scores of the retailers the caller may see; `{retailer id}` for one retailer."""

    serializer_class = RetailerScoreSerializer
    pagination_class = ScoreCursorPagination
    filterset_class = RetailerScoreFilter
    lookup_field = "retailer_id"
    lookup_url_kwarg = "retailer"

    def get_queryset(self):
        return score_list(user=self.request.user).select_related("cluster")


class ScoringRunSerializer(StrictModelSerializer):
    as_of = serializers.DateField(write_only=True, required=False)

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "status",
            "parameters",
            "created_at",
            "started_at",
            "finished_at",
            "duration",
            "scored_count",
            "change_count",
            "event_count",
            "stats",
            "churn_status",
            "churn_auc",
            "churn_baseline_auc",
            "error",
            "as_of",
        ]
        read_only_fields = [f for f in fields if f != "as_of"]

    def create(self, validated_data):
        return scoring_run_start(
            user=self.context["request"].user, as_of=validated_data.get("as_of"), enqueue=True
        )


class MayStartRun(permissions.BasePermission):
    """Reading runs needs the same permission as the explorer's runs panel; starting one, the service's rule."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return request.user.has_perm("segmentation.view_scoringrun")
        return scoring_run_may_start(user=request.user)


class ScoringRunViewSet(
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Scoring runs, newest first. POST starts one (409 while another is queued or running)."""

    serializer_class = ScoringRunSerializer
    permission_classes = [permissions.IsAuthenticated, MayStartRun]
    queryset = ScoringRun.objects.order_by("-id")
    filterset_fields = ["status"]


class ScoringEventSerializer(StrictModelSerializer):
    class Meta:
        model = ScoringEvent
        fields = ["id", "retailer", "kind", "ref_date", "detail", "run", "at"]
        read_only_fields = fields


class IdPagination(CursorPage):
    """By id, oldest first: the order in which integrations follow events."""

    max_page_size = 1000
    ordering = "id"


class ScoringEventFilter(filters.FilterSet):
    after = filters.NumberFilter(field_name="id", lookup_expr="gt", label="id >")
    kind = filters.MultipleChoiceFilter(choices=ScoringEvent.Kind.choices)

    class Meta:
        model = ScoringEvent
        fields = ["after", "kind", "retailer", "run"]


class ScoringEventViewSet(viewsets.ReadOnlyModelViewSet):
    """Transitions of the caller's retailers, oldest first, for integrations that follow them: keep the last id
    seen and ask with `?after=`. Kinds: lifecycle (became_at_risk, became_lost, reactivated), tier_changed,
    licence_expiring_90/60/30."""

    serializer_class = ScoringEventSerializer
    pagination_class = IdPagination
    filterset_class = ScoringEventFilter

    def get_queryset(self):
        return scoring_event_list(user=self.request.user)
