"""REST API of the machine-learning results: /api/v1/recommendations/ and /api/v1/clusters/."""

from django_filters import rest_framework as filters
from rest_framework import permissions, serializers, viewsets

from core.serializers import ModelSerializer as StrictModelSerializer
from segmentation.ml.models import ClusterProfile, Recommendation
from segmentation.ml.selectors import cluster_profile_list, recommendation_list, recommendation_reason
from segmentation.scoring.api import IdPagination


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
