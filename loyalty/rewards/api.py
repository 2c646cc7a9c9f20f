"""REST API of the rewards catalog and redemptions (request, approve, deliver, cancel). See loyalty/api.py for
what every loyalty endpoint shares."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from loyalty import selectors
from loyalty.rewards.models import Redemption, Reward
from loyalty.rewards.services import (
    MAX_QUANTITY,
    redemption_approve,
    redemption_cancel,
    redemption_deliver,
    reward_redeem,
)


class RewardSerializer(StrictModelSerializer):
    levels = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Reward
        fields = [
            "id",
            "name",
            "kind",
            "description",
            "points_price",
            "stock",
            "levels",
            "valid_from",
            "valid_to",
            "is_active",
        ]
        read_only_fields = fields


class RewardViewSet(viewsets.ReadOnlyModelViewSet):
    """The rewards catalog (`?is_active=true` for what is on the shelf)."""

    serializer_class = RewardSerializer
    permission_classes = [needs("loyalty.view_reward")]
    filterset_fields = ["kind", "is_active"]
    pagination_class = NewestFirst

    def get_queryset(self):
        return selectors.reward_list()


class RedemptionSerializer(StrictModelSerializer):
    retailer = serializers.IntegerField(source="account.retailer_id", read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "retailer",
            "reward",
            "quantity",
            "points",
            "status",
            "channel",
            "entry",
            "refund_entry",
            "note",
            "created_at",
            "approved_at",
            "delivered_at",
            "cancelled_at",
        ]
        read_only_fields = fields


class RedemptionCreateSerializer(StrictSerializer):
    retailer = serializers.IntegerField()
    reward = serializers.IntegerField()
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, default=1)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CancelSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RedemptionFilter(filters.FilterSet):
    retailer = filters.NumberFilter(field_name="account__retailer_id")

    class Meta:
        model = Redemption
        fields = ["retailer", "status", "reward", "channel"]


class RedemptionViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Redemptions of the caller's retailers. POST (with an Idempotency-Key) takes the points at once;
    `{id}/approve/`, `{id}/deliver/` (supervisors), `{id}/cancel/` refunds the points."""

    serializer_class = RedemptionSerializer
    pagination_class = NewestFirst
    filterset_class = RedemptionFilter
    permission_classes = [needs("loyalty.view_redemption")]

    def get_queryset(self):
        return selectors.redemption_list(user=self.request.user)

    @extend_schema(
        request=RedemptionCreateSerializer,
        responses={201: RedemptionSerializer},
    )
    def create(self, request):
        data = RedemptionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        retailer = retailer_get(user=request.user, retailer_id=data.validated_data["retailer"])

        redemption = reward_redeem(
            retailer_id=retailer.pk,
            reward_id=data.validated_data["reward"],
            quantity=data.validated_data["quantity"],
            user=request.user,
            channel=Redemption.Channel.API,
            note=data.validated_data["note"],
        )
        return Response(RedemptionSerializer(redemption).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, service, **kwargs):
        redemption = self.get_object()  # 404 outside the territory
        done = service(redemption_id=redemption.pk, user=request.user, **kwargs)
        return Response(RedemptionSerializer(done).data)

    @extend_schema(request=None, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._decide(request, redemption_approve)

    @extend_schema(request=None, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        return self._decide(request, redemption_deliver)

    @extend_schema(request=CancelSerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(request, redemption_cancel, reason=data.validated_data["reason"])
