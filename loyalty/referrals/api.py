"""REST API of referrals. See loyalty/api.py for what every loyalty endpoint shares."""

from rest_framework import mixins, viewsets

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from loyalty import selectors
from loyalty.referrals.models import Referral
from loyalty.referrals.services import referral_create


class ReferralSerializer(StrictModelSerializer):
    class Meta:
        model = Referral
        fields = [
            "id",
            "referrer",
            "referee",
            "status",
            "orders_required",
            "points",
            "entry",
            "created_at",
            "rewarded_at",
        ]
        read_only_fields = ["status", "orders_required", "points", "entry", "created_at", "rewarded_at"]

    def create(self, validated_data):
        user = self.context["request"].user
        referrer = retailer_get(user=user, retailer_id=validated_data["referrer"].pk)
        referee = retailer_get(user=user, retailer_id=validated_data["referee"].pk)
        return referral_create(referrer=referrer, referee=referee, user=user)


class ReferralViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Referrals made by the caller's retailers; POST registers one (both shops in the caller's territory;
    the referee newly licensed). The referrer is rewarded once the new shop's first orders land."""

    serializer_class = ReferralSerializer
    pagination_class = NewestFirst
    filterset_fields = ["referrer", "status"]

    def get_permissions(self):
        perm = "loyalty.add_referral" if self.request.method == "POST" else "loyalty.view_referral"
        return [needs(perm)()]

    def get_queryset(self):
        return selectors.referral_list(user=self.request.user)
