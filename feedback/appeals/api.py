"""/api/v1/tier-appeals/: the caller's retailers' tier appeals; POST {id}/decide/ (supervisors)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from core.pagination import NewestFirst
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from feedback.appeals.models import TierAppeal
from feedback.appeals.selectors import tier_appeal_scope
from feedback.appeals.services import tier_appeal_decide
from users.serializers import user_ref


class TierAppealSerializer(StrictModelSerializer):
    decided_by = user_ref()
    status = serializers.CharField(source="complaint.status", read_only=True)
    description = serializers.CharField(source="complaint.description", read_only=True)
    resolution_due = serializers.DateTimeField(source="complaint.resolution_due", read_only=True)
    tier_change_status = serializers.CharField(source="tier_change.status", read_only=True, default=None)

    class Meta:
        model = TierAppeal
        fields = [
            "id",
            "complaint",
            "retailer",
            "tier_at_filing",
            "proposal",
            "description",
            "status",
            "resolution_due",
            "outcome",
            "decided_tier",
            "decision_reason",
            "decided_by",
            "decided_at",
            "tier_change",
            "tier_change_status",
        ]
        read_only_fields = fields


class TierAppealDecisionSerializer(StrictSerializer):
    outcome = serializers.ChoiceField(choices=[TierAppeal.Outcome.UPHELD, TierAppeal.Outcome.CHANGED])
    reason = serializers.CharField(max_length=500)
    to_tier = serializers.IntegerField(min_value=1, max_value=30, required=False)


class TierAppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tier appeals of the caller's retailers, newest first (filter ?outcome=pending). POST {id}/decide/ with
    outcome upheld or changed (+ to_tier), and the reason the retailer will read: 403 without
    feedback.decide_tierappeal, 409 when already decided."""

    queryset = TierAppeal.objects.none()  # the schema's model; get_queryset scopes
    serializer_class = TierAppealSerializer
    pagination_class = NewestFirst
    filterset_fields = ["outcome", "retailer"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TierAppeal.objects.none()
        if not self.request.user.has_perm("feedback.view_tierappeal"):
            raise PermissionDenied
        return tier_appeal_scope(user=self.request.user).select_related("complaint", "tier_change")

    @extend_schema(request=TierAppealDecisionSerializer, responses=TierAppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        data = TierAppealDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = tier_appeal_decide(
            user=request.user,
            appeal_id=int(pk),
            outcome=data.validated_data["outcome"],
            reason=data.validated_data["reason"],
            to_tier=data.validated_data.get("to_tier"),
        )
        return Response(self.get_serializer(tier_appeal_scope(user=request.user).get(pk=appeal.pk)).data)
