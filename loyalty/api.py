"""REST API under /api/v1/loyalty/: accounts, entries (cursor), rewards, redemptions, coupons, referrals,
events. Everything is scoped by accounts.selectors.retailer_scope (another territory answers 404). POSTs that
move points or use a coupon require an `Idempotency-Key` header: a repeat returns the first response."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from loyalty import selectors, services
from loyalty.models import (
    Coupon,
    CouponBatch,
    LoyaltyEvent,
    PointsAccount,
    PointsEntry,
    Redemption,
    Referral,
    Reward,
)


def needs(*perms: str) -> type[permissions.BasePermission]:
    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return HasPerms


class NewestFirst(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


class OldestFirst(NewestFirst):
    page_size = 100
    max_page_size = 1000
    ordering = "id"


# ---- accounts and entries ------------------------------------------------------------------------------------
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
        entry = services.points_adjust(
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

        reversal = services.points_reverse(
            entry_id=entry.pk, user=request.user, reason=data.validated_data["reason"]
        )
        return Response(EntrySerializer(reversal).data, status=status.HTTP_201_CREATED)


# ---- rewards and redemptions ---------------------------------------------------------------------------------
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
    quantity = serializers.IntegerField(min_value=1, max_value=services.rewards.MAX_QUANTITY, default=1)
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

        redemption = services.reward_redeem(
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
        return self._decide(request, services.redemption_approve)

    @extend_schema(request=None, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        return self._decide(request, services.redemption_deliver)

    @extend_schema(request=CancelSerializer, responses=RedemptionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._decide(request, services.redemption_cancel, reason=data.validated_data["reason"])


# ---- coupons -----------------------------------------------------------------------------------------------------
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

        coupon = services.coupon_redeem(code=data.validated_data["code"], user=request.user)
        return Response(CouponSerializer(coupon).data)

    @extend_schema(request=CouponIssueSerializer)
    @action(detail=False, methods=["post"], permission_classes=[needs("loyalty.add_coupon")])
    def issue(self, request):
        data = CouponIssueSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        batch = services.coupon_batch_issue(user=request.user, **data.validated_data)
        return Response({"batch": batch.pk, "issued": batch.issued_count}, status=status.HTTP_201_CREATED)


# ---- referrals and events ------------------------------------------------------------------------------------
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
        return services.referral_create(referrer=referrer, referee=referee, user=user)


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
