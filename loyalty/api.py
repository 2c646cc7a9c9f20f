"""REST API under /api/v1/loyalty/: what every sub-area's endpoints share (permissions, pagination) and the
events. The endpoints live with their sub-area: accounts and entries in loyalty/ledger/api.py, rewards and
redemptions in loyalty/rewards/api.py, coupons in loyalty/coupons/api.py, referrals in loyalty/referrals/api.py.
Everything is scoped by accounts.selectors.retailer_scope (another territory answers 404). POSTs that move
points or use a coupon require an `Idempotency-Key` header: a repeat returns the first response."""

from django_filters import rest_framework as filters
from rest_framework import viewsets

from core.pagination import OldestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from loyalty import selectors
from loyalty.models import LoyaltyEvent


class EventSerializer(StrictModelSerializer):
    class Meta:
        model = LoyaltyEvent
        fields = ["id", "retailer", "kind", "ref_date", "detail", "at"]
        read_only_fields = fields


class EventFilter(filters.FilterSet):
    after = filters.NumberFilter(field_name="id", lookup_expr="gt", label="id >")
    kind = filters.MultipleChoiceFilter(choices=LoyaltyEvent.Kind.choices)

    class Meta:
        model = LoyaltyEvent
        fields = ["after", "kind", "retailer"]


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Loyalty events of the caller's retailers, oldest first: points expiring (once per retailer and expiry
    date), level changes, referral rewards. Keep the last id and ask with `?after=`."""

    serializer_class = EventSerializer
    pagination_class = OldestFirst
    filterset_class = EventFilter
    permission_classes = [needs("loyalty.view_loyaltyevent")]

    def get_queryset(self):
        return selectors.loyalty_event_list(user=self.request.user)
