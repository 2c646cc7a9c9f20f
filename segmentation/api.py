"""REST API: /api/v1/scores/ (current scores in the caller's territory, with cluster and churn risk),
/api/v1/scoring-runs/ (with the churn model's AUCs), /api/v1/recommendations/, /api/v1/clusters/, and the tier
engine's /api/v1/tier-proposals/ and /api/v1/tier-changes/."""

from django_filters import rest_framework as filters
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import Retailer
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from segmentation.models import (
    ClusterProfile,
    Recommendation,
    RetailerScore,
    ScoringEvent,
    ScoringRun,
    TierChange,
    TierProposal,
)
from segmentation.selectors import (
    cluster_profile_list,
    recommendation_list,
    recommendation_reason,
    score_list,
    scoring_event_list,
    tier_change_list,
    tier_proposal_list,
)
from segmentation.services import SCORE_COLUMNS, scoring_run_may_start, scoring_run_start
from segmentation.tiers import (
    tier_change_decide,
    tier_change_request,
    tier_proposal_create,
    tier_proposal_publish,
)
from users.serializers import user_ref


class ScoreCursorPagination(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
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

    page_size = 50
    max_page_size = 1000
    page_size_query_param = "page_size"
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


class RecommendationSerializer(StrictModelSerializer):
    product_code = serializers.CharField(source="product.code", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    substitute_for_name = serializers.CharField(
        source="substitute_for.name", read_only=True, allow_null=True, default=None
    )
    penetration = serializers.FloatField(read_only=True, allow_null=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = Recommendation
        fields = [
            "id",
            "run",
            "retailer",
            "rank",
            "product",
            "product_code",
            "product_name",
            "kind",
            "peer_count",
            "peer_buyers",
            "penetration",
            "substitute_for",
            "substitute_for_name",
            "reason",
        ]
        read_only_fields = fields

    def get_reason(self, obj: Recommendation) -> str:
        return recommendation_reason(obj)


class RecommendationFilter(filters.FilterSet):
    retailer = filters.NumberFilter(field_name="retailer_id")

    class Meta:
        model = Recommendation
        fields = ["retailer", "kind"]


class RecommendationViewSet(viewsets.ReadOnlyModelViewSet):
    """The latest run's product recommendations for the retailers the caller may see, by retailer then rank;
    `?retailer={id}` for one retailer's (up to 5, best first)."""

    serializer_class = RecommendationSerializer
    pagination_class = IdPagination
    filterset_class = RecommendationFilter
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return recommendation_list(user=self.request.user)


class ClusterProfileSerializer(StrictModelSerializer):
    name = serializers.CharField(read_only=True)
    traits = serializers.ListField(child=serializers.CharField(), read_only=True)
    medians = serializers.DictField(child=serializers.FloatField(allow_null=True), read_only=True)

    class Meta:
        model = ClusterProfile
        fields = ["id", "run", "number", "name", "traits", "size", "share", "medians"]
        read_only_fields = fields


class MayViewClusters(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.user.has_perm("segmentation.view_clusterprofile")


class ClusterProfileFilter(filters.FilterSet):
    run = filters.NumberFilter(
        field_name="run_id", help_text="a run's profiles (default: the latest finished run)"
    )

    class Meta:
        model = ClusterProfile
        fields = ["run"]


class ClusterProfileViewSet(viewsets.ReadOnlyModelViewSet):
    """Cluster profiles of the latest finished scoring run (numbered by median order amount, 1 the highest);
    `?run={id}` for an earlier run's."""

    serializer_class = ClusterProfileSerializer
    permission_classes = [permissions.IsAuthenticated, MayViewClusters]
    filterset_class = ClusterProfileFilter
    pagination_class = None  # at most 8 per run
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        if self.action == "list" and not self.request.query_params.get("run"):
            return cluster_profile_list()
        return ClusterProfile.objects.order_by("run_id", "number")


# ---- tiers (档位) ------------------------------------------------------------------------------------------------
class NewestFirstPagination(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


class TierProposalSerializer(StrictModelSerializer):
    created_by = user_ref()
    published_by = user_ref()
    period_end = serializers.DateField(required=False)

    class Meta:
        model = TierProposal
        fields = [
            "id",
            "org_unit",
            "period_start",
            "period_end",
            "status",
            "parameters",
            "counts",
            "retailer_count",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        ]
        read_only_fields = [f for f in fields if f != "period_end"]

    def create(self, validated_data):
        return tier_proposal_create(
            user=self.context["request"].user, period_end=validated_data.get("period_end")
        )


class TierProposalViewSet(
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tier proposals of the caller's territory, newest first. POST grades the period containing `period_end`
    (default: the last complete one) into a draft; POST {id}/publish/ writes its tiers (409 unless a draft)."""

    serializer_class = TierProposalSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    filterset_fields = ["status"]

    def get_queryset(self):
        return tier_proposal_list(user=self.request.user)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        proposal = tier_proposal_publish(user=request.user, proposal_id=int(pk))
        return Response(self.get_serializer(proposal).data)


class TierChangeSerializer(StrictModelSerializer):
    requested_by = user_ref()
    approved_by = user_ref()

    class Meta:
        model = TierChange
        fields = [
            "id",
            "retailer",
            "from_tier",
            "to_tier",
            "reason",
            "source",
            "proposal",
            "status",
            "requested_by",
            "approved_by",
            "requested_at",
            "decided_at",
        ]
        read_only_fields = [f for f in fields if f not in ("retailer", "to_tier", "reason")]
        extra_kwargs = {"retailer": {"queryset": Retailer.objects.all()}}
        validators = []  # the service checks the pending request after scoping, so other territories stay 404

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["reason"] = instance.reason_display  # a system-written reason in the caller's language
        return data

    def create(self, validated_data):
        return tier_change_request(
            user=self.context["request"].user,
            retailer_id=validated_data["retailer"].pk,
            to_tier=validated_data["to_tier"],
            reason=validated_data["reason"],
        )


class TierChangeViewSet(
    IdempotentCreateMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Tier changes of the caller's retailers, newest first. POST requests a manual change; another user with the
    approval right POSTs {id}/approve/ or {id}/reject/."""

    serializer_class = TierChangeSerializer
    pagination_class = NewestFirstPagination
    lookup_value_regex = r"\d+"
    filterset_fields = ["status", "source", "retailer"]

    def get_queryset(self):
        return tier_change_list(user=self.request.user)

    def _decide(self, pk, *, approve):
        change = tier_change_decide(user=self.request.user, change_id=int(pk), approve=approve)
        return Response(self.get_serializer(change).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(pk, approve=True)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._decide(pk, approve=False)
