"""REST API of the send log."""

from django_filters import rest_framework as filters
from rest_framework import permissions, serializers, viewsets

from campaigns.models import Delivery
from campaigns.selectors import (
    campaign_list,
    delivery_list,
)
from core.pagination import CursorPage
from core.permissions import ModelPermissions
from core.serializers import ModelSerializer as StrictModelSerializer


class DeliveryCursorPagination(CursorPage):
    page_size = 100
    max_page_size = 500
    ordering = "-id"


class DeliverySerializer(StrictModelSerializer):
    status = serializers.ChoiceField(source="state", choices=Delivery.State.choices, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "campaign",
            "retailer",
            "channel",
            "status",
            "reason",
            "error",
            "is_holdout",
            "attempts",
            "claimed_at",
            "sent_at",
            "delivered_at",
            "clicked_at",
            "provider_message_id",
            "created_at",
        ]
        read_only_fields = fields


class DeliveryFilter(filters.FilterSet):
    status = filters.ChoiceFilter(field_name="state", choices=Delivery.State.choices)

    class Meta:
        model = Delivery
        fields = ["campaign", "status", "reason", "channel", "retailer"]


class DeliveryViewSet(viewsets.ReadOnlyModelViewSet):
    """The send log of the retailers the caller may see (no addresses: those stay in the database)."""

    serializer_class = DeliverySerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    pagination_class = DeliveryCursorPagination
    filterset_class = DeliveryFilter

    def get_queryset(self):
        return delivery_list(user=self.request.user).filter(
            campaign__in=campaign_list(user=self.request.user).values("id")
        )
