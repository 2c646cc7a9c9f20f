"""REST API of coupons: list, redeem by code, issue a batch. See loyalty/api.py for what every loyalty endpoint
shares."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from loyalty import selectors
from loyalty.coupons.models import Coupon, CouponBatch
from loyalty.coupons.services import coupon_batch_issue, coupon_redeem


class CouponSerializer(StrictModelSerializer):
    batch_name = serializers.CharField(source="batch.name", read_only=True)
    kind = serializers.CharField(source="batch.kind", read_only=True)
    value_fen = serializers.IntegerField(source="batch.value_fen", read_only=True)

    class Meta:
        model = Coupon
        fields = [
            "id",
            "retailer",
            "code",
            "status",
            "expires_on",
            "batch",
            "batch_name",
            "kind",
            "value_fen",
            "issued_at",
            "redeemed_at",
        ]
        read_only_fields = fields


class CouponRedeemSerializer(StrictSerializer):
    code = serializers.CharField(max_length=30)


class CouponIssueSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    retailer_ids = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, max_length=500_000
    )
    expires_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=CouponBatch.Kind.choices, default="amount_off")
    value_fen = serializers.IntegerField(min_value=0, default=0)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    source = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class CouponViewSet(IdempotentCreateMixin, viewsets.ReadOnlyModelViewSet):
    """Coupons of the caller's retailers. POST `redeem/` {code} uses one (once); POST `issue/` issues a batch to
    a list of retailer ids (a segment's members); both with an Idempotency-Key."""

    serializer_class = CouponSerializer
    pagination_class = NewestFirst
    idempotent_actions = ("redeem", "issue")
    permission_classes = [needs("loyalty.view_coupon")]
    filterset_fields = ["retailer", "status", "batch"]

    def get_queryset(self):
        return selectors.coupon_list(user=self.request.user)

    @extend_schema(request=CouponRedeemSerializer, responses=CouponSerializer)
    @action(detail=False, methods=["post"])
    def redeem(self, request):
        data = CouponRedeemSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        coupon = coupon_redeem(code=data.validated_data["code"], user=request.user)
        return Response(CouponSerializer(coupon).data)

    @extend_schema(request=CouponIssueSerializer)
    @action(detail=False, methods=["post"], permission_classes=[needs("loyalty.add_coupon")])
    def issue(self, request):
        data = CouponIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        batch = coupon_batch_issue(user=request.user, **data.validated_data)
        return Response({"batch": batch.pk, "issued": batch.issued_count}, status=status.HTTP_201_CREATED)
