"""REST API: /api/v1/scores/ (current scores in the caller's territory) and /api/v1/scoring-runs/."""

from django_filters import rest_framework as filters
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.pagination import CursorPagination

from segmentation.models import RetailerScore, ScoringRun
from segmentation.selectors import score_list
from segmentation.services import SCORE_COLUMNS, scoring_run_may_start, scoring_run_start


class ScoreCursorPagination(CursorPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-retailer_id"


class RetailerScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = RetailerScore
        fields = ["retailer", "run", *SCORE_COLUMNS, "computed_at"]
        read_only_fields = fields


class RetailerScoreFilter(filters.FilterSet):
    class Meta:
        model = RetailerScore
        fields = ["lifecycle", "rfm_segment", "value_class", "loyalty_class", "is_top20"]


class RetailerScoreViewSet(viewsets.ReadOnlyModelViewSet):
    """Current scores of the retailers the caller may see; `{retailer id}` for one retailer."""

    serializer_class = RetailerScoreSerializer
    pagination_class = ScoreCursorPagination
    filterset_class = RetailerScoreFilter
    lookup_field = "retailer_id"
    lookup_url_kwarg = "retailer"

    def get_queryset(self):
        return score_list(user=self.request.user)


class ScoringRunSerializer(serializers.ModelSerializer):
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
            "error",
            "as_of",
        ]
        read_only_fields = [f for f in fields if f != "as_of"]

    def create(self, validated_data):
        return scoring_run_start(
            user=self.context["request"].user, as_of=validated_data.get("as_of"), enqueue=True
        )


class MayStartRun(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or scoring_run_may_start(user=request.user)


class ScoringRunViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Scoring runs, newest first. POST starts one (409 while another is queued or running)."""

    serializer_class = ScoringRunSerializer
    permission_classes = [permissions.IsAuthenticated, MayStartRun]
    queryset = ScoringRun.objects.order_by("-id")
    filterset_fields = ["status"]
