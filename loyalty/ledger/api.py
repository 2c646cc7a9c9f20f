"""REST API of the ledger: points accounts (with their level progress and next expiry) and entries (cursor),
adjustments and reversals. See loyalty/api.py for what every loyalty endpoint shares."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from loyalty import selectors
from loyalty.ledger.models import PointsAccount, PointsEntry
from loyalty.ledger.services import points_adjust, points_reverse


class AccountSerializer(StrictModelSerializer):
    level = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PointsAccount
        fields = [
            "retailer",
            "balance",
            "level",
            "level_since",
            "rolling_amount_fen",
            "rolling_orders",
            "updated_at",
        ]
        read_only_fields = fields


class NextExpirySerializer(StrictSerializer):
    date = serializers.DateField()
    points = serializers.IntegerField()


class LevelProgressSerializer(StrictSerializer):
    next_level = serializers.CharField(allow_null=True)
    amount_fen = serializers.IntegerField()
    orders = serializers.IntegerField()
    amount_needed_fen = serializers.IntegerField()
    orders_needed = serializers.IntegerField()
    percent = serializers.IntegerField()


class AccountDetailSerializer(StrictSerializer):
    """One retailer's account as `{retailer id}/` answers it: the balance and level with the next expiry and the
    progress to the next level (not the list's row)."""

    retailer = serializers.IntegerField()
    balance = serializers.IntegerField()
    level = serializers.CharField(allow_null=True)
    next_expiry = NextExpirySerializer(allow_null=True)
    expiring_soon = serializers.IntegerField()
    progress = LevelProgressSerializer()


class AccountByRetailer(NewestFirst):
    ordering = "-retailer_id"


class AccountViewSet(viewsets.ReadOnlyModelViewSet):
    """Points accounts of the caller's retailers; `{retailer id}/` adds the next expiry and the progress to the
    next level."""

    serializer_class = AccountSerializer
    pagination_class = AccountByRetailer
    permission_classes = [needs("loyalty.view_pointsaccount")]
    filterset_fields = ["level__code"]
    lookup_field = "retailer_id"
    lookup_url_kwarg = "retailer"
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors.account_list(user=self.request.user)

    @extend_schema(responses=AccountDetailSerializer)
    def retrieve(self, request, retailer=None):
        _retailer, summary = selectors.retailer_points_get(user=request.user, retailer_id=int(retailer))
        progress = summary["progress"]
        expiry = summary["next_expiry"]
        return Response(
            {
                "retailer": int(retailer),
                "balance": summary["balance"],
                "level": summary["level"].code if summary["level"] else None,
                "next_expiry": {"date": expiry["expires_on"], "points": expiry["points"]} if expiry else None,
                "expiring_soon": summary["expiring_soon"],
                "progress": {
                    "next_level": progress.next_level.code if progress.next_level else None,
                    "amount_fen": progress.amount_fen,
                    "orders": progress.orders,
                    "amount_needed_fen": progress.amount_needed_fen,
                    "orders_needed": progress.orders_needed,
                    "percent": progress.percent,
                },
            }
        )


class EntrySerializer(StrictModelSerializer):
    retailer = serializers.IntegerField(source="account.retailer_id", read_only=True)
    note = serializers.CharField(
        source="note_display",
        read_only=True,
        help_text="in the caller's language (Accept-Language) when the system wrote it; a person's note as written",
    )

    class Meta:
        model = PointsEntry
        fields = [
            "id",
            "retailer",
            "kind",
            "points",
            "expires_on",
            "order",
            "rule",
            "lot",
            "reverses",
            "note",
            "created_at",
        ]
        read_only_fields = fields


class EntryFilter(filters.FilterSet):
    retailer = filters.NumberFilter(field_name="account__retailer_id")
    kind = filters.MultipleChoiceFilter(choices=PointsEntry.Kind.choices)

    class Meta:
        model = PointsEntry
        fields = ["retailer", "kind"]


class AdjustmentSerializer(StrictSerializer):
    retailer = serializers.IntegerField()
    points = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)


class ReverseSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=200)


class EntryViewSet(IdempotentCreateMixin, viewsets.ReadOnlyModelViewSet):
    """The ledger of the caller's retailers, newest first (cursor pages). Corrections: POST `adjust/`
    (+/− points with a reason) and `{id}/reverse/`, both with an Idempotency-Key (supervisors)."""

    serializer_class = EntrySerializer
    pagination_class = NewestFirst
    idempotent_actions = ("adjust", "reverse")
    filterset_class = EntryFilter
    permission_classes = [needs("loyalty.view_pointsentry")]

    def get_queryset(self):
        return selectors.entry_list(user=self.request.user)

    @extend_schema(request=AdjustmentSerializer, responses={201: EntrySerializer})
    @action(detail=False, methods=["post"], permission_classes=[needs("loyalty.adjust_points")])
    def adjust(self, request):
        data = AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        retailer = retailer_get(user=request.user, retailer_id=data.validated_data["retailer"])
        entry = points_adjust(
            retailer_id=retailer.pk,
            points=data.validated_data["points"],
            user=request.user,
            reason=data.validated_data["reason"],
        )
        return Response(EntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReverseSerializer, responses={201: EntrySerializer})
    @action(detail=True, methods=["post"], permission_classes=[needs("loyalty.adjust_points")])
    def reverse(self, request, pk=None):
        entry = self.get_object()  # 404 outside the territory
        data = ReverseSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        reversal = points_reverse(entry_id=entry.pk, user=request.user, reason=data.validated_data["reason"])
        return Response(EntrySerializer(reversal).data, status=status.HTTP_201_CREATED)
