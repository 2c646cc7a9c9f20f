"""API of the tier card (GET /api/v1/retailers/{id}/tier-card/) and the tier what-if (POST /api/v1/tier-whatif/)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.serializers import Serializer as StrictSerializer
from segmentation.models import TIER_COUNT
from segmentation.tier_card import tier_card_get
from segmentation.tier_whatif import BASELINE_CURRENT, BASELINES, tier_whatif


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
