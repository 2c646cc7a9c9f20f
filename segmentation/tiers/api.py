"""REST API of the tier engine: /api/v1/tier-proposals/ and /api/v1/tier-changes/, the tier card
(GET /api/v1/retailers/{id}/tier-card/) and the tier what-if (POST /api/v1/tier-whatif/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Retailer
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from segmentation.tiers.card import tier_card_get
from segmentation.tiers.models import TIER_COUNT, TierChange, TierProposal
from segmentation.tiers.selectors import tier_change_list, tier_proposal_list
from segmentation.tiers.services import (
    tier_change_decide,
    tier_change_request,
    tier_proposal_create,
    tier_proposal_publish,
)
from segmentation.tiers.whatif import BASELINE_CURRENT, BASELINES, tier_whatif
from users.serializers import user_ref


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
    pagination_class = NewestFirst
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
    pagination_class = NewestFirst
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


class TierComponentSerializer(StrictSerializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    unit = serializers.CharField()
    weight = serializers.IntegerField()
    percentile = serializers.FloatField(help_text="0–100, in the proposal's population")
    points = serializers.FloatField(help_text="weight × percent_rank; the points add up to the score")


class TierCutSerializer(StrictSerializer):
    tier = serializers.IntegerField()
    text = serializers.CharField()


class TierHistorySerializer(StrictSerializer):
    from_tier = serializers.IntegerField(allow_null=True)
    to_tier = serializers.IntegerField()
    source = serializers.CharField()
    status = serializers.CharField()
    at = serializers.DateTimeField()


class TierCardSerializer(StrictSerializer):
    retailer = serializers.IntegerField()
    tier = serializers.IntegerField(allow_null=True)
    proposal = serializers.IntegerField(allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    period_end = serializers.DateField(allow_null=True)
    mode = serializers.CharField()
    group = serializers.CharField()
    group_size = serializers.IntegerField()
    score = serializers.CharField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    proposed_tier = serializers.IntegerField(allow_null=True)
    cut_tier = serializers.IntegerField(allow_null=True)
    capped = serializers.BooleanField()
    manual_since = serializers.BooleanField()
    components = TierComponentSerializer(many=True)
    cuts = TierCutSerializer(many=True)
    move_up = serializers.CharField()
    move_up_cartons_week = serializers.IntegerField(allow_null=True)
    history = TierHistorySerializer(many=True)


class TierCardView(APIView):
    """The retailer's tier card: score, components with weight and percentile, cut points, what would move it up
    (from the latest published proposal that graded it). 404 outside the caller's territory."""

    @extend_schema(responses=TierCardSerializer, operation_id="retailers_tier_card")
    def get(self, request, pk: int):
        card = tier_card_get(user=request.user, retailer_id=pk)
        return Response(TierCardSerializer(card.as_dict()).data)


class TierWhatIfRequestSerializer(StrictSerializer):
    weight_cartons = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_amount = serializers.IntegerField(min_value=0, max_value=100, required=False)
    weight_avg_price = serializers.IntegerField(min_value=0, max_value=100, required=False)
    tier_shares = serializers.ListField(
        child=serializers.FloatField(min_value=0),
        min_length=TIER_COUNT,
        max_length=TIER_COUNT,
        required=False,
        help_text="30 shares or counts, tier 1 first (default: the current rule's)",
    )
    baseline = serializers.ChoiceField(choices=BASELINES, default=BASELINE_CURRENT)
    period_end = serializers.DateField(required=False)


class TierWhatIfAllowanceSerializer(StrictSerializer):
    plan = serializers.IntegerField()
    product = serializers.CharField()
    unit = serializers.CharField()
    state = serializers.CharField()
    supply = serializers.IntegerField()
    total_from = serializers.IntegerField()
    total_to = serializers.IntegerField()
    change = serializers.IntegerField()
    share_from = serializers.IntegerField(allow_null=True)
    share_to = serializers.IntegerField(allow_null=True)
    over = serializers.BooleanField()


class TierWhatIfSerializer(StrictSerializer):
    parameters = serializers.DictField()
    rule_parameters = serializers.DictField()
    baseline = serializers.CharField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    retailers = serializers.IntegerField()
    moved = serializers.IntegerField()
    up = serializers.IntegerField()
    down = serializers.IntegerField()
    mean_shift = serializers.FloatField()
    max_shift = serializers.IntegerField()
    matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(allow_null=True)),
        help_text="[from tier (null: none yet), to tier, retailers]",
    )
    shifts = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField()), help_text="[to − from, retailers]"
    )
    allowances = TierWhatIfAllowanceSerializer(many=True)


class TierWhatIfViewSet(viewsets.ViewSet):
    """POST: grade the caller's territory with other weights and/or tier counts, without writing anything; answers
    how many retailers move and by how much (from→to matrix) and each coming-cycle plan's total allowance
    before and after, against its supply. 403 for users who may not generate tier proposals."""

    creates_nothing = True  # a POST that computes (200), stores nothing: no Idempotency-Key to keep

    @extend_schema(
        request=TierWhatIfRequestSerializer, responses={200: TierWhatIfSerializer}
    )  # computes, creates nothing
    def create(self, request):
        data = TierWhatIfRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        shares = values.get("tier_shares")
        result = tier_whatif(
            user=request.user,
            weights={k: values.get(k) for k in ("weight_cartons", "weight_amount", "weight_avg_price")},
            tier_shares=[int(s) if float(s).is_integer() else s for s in shares] if shares else None,
            baseline=values["baseline"],
            period_end=values.get("period_end"),
        )
        return Response(TierWhatIfSerializer(result.as_dict()).data)
