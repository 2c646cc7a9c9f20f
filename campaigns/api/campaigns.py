"""REST API of campaigns: create and edit drafts, approve, launch, pause, resume, cancel, results and uplift."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from campaigns.api.permissions import denied
from campaigns.models import Campaign, MessageTemplate
from campaigns.selectors import (
    campaign_conversion,
    campaign_counts,
    campaign_list,
    campaign_seen_whole,
    campaign_uplift_shown,
    template_list,
)
from campaigns.services.campaigns import (
    EDITABLE_FIELDS,
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_update,
)
from core.idempotency import IdempotentCreateMixin
from core.permissions import ModelPermissions
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from sales.models import Product
from segmentation.segments.models import Segment
from users.serializers import user_ref


class CampaignSerializer(StrictModelSerializer):
    status = serializers.ChoiceField(source="state", choices=Campaign.State.choices, read_only=True)
    created_by = user_ref()
    approved_by = user_ref()
    segment = serializers.PrimaryKeyRelatedField(
        queryset=Segment.objects.all(), required=False, allow_null=True
    )
    template = serializers.PrimaryKeyRelatedField(queryset=MessageTemplate.objects.all())
    promoted_products = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "promoted_products",
            "status",
            "journey",
            "parent",
            "next_run_at",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
            "launched_at",
            "finished_at",
            "recipient_count",
            "holdout_count",
        ]
        read_only_fields = [
            "org_unit",
            "status",
            "journey",
            "parent",
            "next_run_at",
            "created_by",
            "created_at",
            "approved_by",
            "approved_at",
            "launched_at",
            "finished_at",
            "recipient_count",
            "holdout_count",
        ]

    def validate_segment(self, segment):
        from segmentation.segments.selectors import segment_list

        user = self.context["request"].user
        if (
            segment is not None
            and not segment_list(user=user, filters={"archived": None}).filter(pk=segment.pk).exists()
        ):
            raise serializers.ValidationError("该客群不在您的权限范围内。")
        return segment

    def validate_template(self, template):
        if not template_list(user=self.context["request"].user).filter(pk=template.pk).exists():
            raise serializers.ValidationError("该模板不在您的权限范围内。")
        return template

    def create(self, validated_data):
        products = validated_data.pop("promoted_products", [])
        try:
            return campaign_create(
                actor=self.context["request"].user, data=validated_data, promoted_products=products
            )
        except DjangoPermissionDenied as exc:
            raise denied(exc) from exc

    def update(self, instance, validated_data):
        products = validated_data.pop("promoted_products", None)
        try:
            return campaign_update(
                actor=self.context["request"].user,
                campaign=instance,
                data=validated_data,
                promoted_products=products,
            )
        except DjangoPermissionDenied as exc:
            raise denied(exc) from exc


class CampaignFilter(filters.FilterSet):
    status = filters.ChoiceFilter(field_name="state", choices=Campaign.State.choices)

    class Meta:
        model = Campaign
        fields = ["status", "channel", "purpose", "journey"]


class CampaignResultsSerializer(StrictSerializer):
    counts = serializers.DictField()
    conversion = serializers.DictField(allow_null=True)
    uplift = serializers.DictField(
        allow_null=True,
        help_text="orders against the holdout over the measurement window (whole weeks), as stored by the hourly "
        "job: window, measuring, min_group, sufficient, treated and holdout {n, ordered, rate, amount_fen, "
        "amount_per_retailer_fen}, rate_uplift and amount_uplift_fen (null when a group is under min_group)",
    )


def _uplift_dict(campaign, user) -> dict | None:
    shown = campaign_uplift_shown(campaign=campaign, user=user)
    if shown is None:
        return None
    u = shown.uplift
    return {
        "window": [u.window_start.isoformat(), u.window_end.isoformat()],
        "measuring": shown.measuring,
        "min_group": shown.min_group,
        "sufficient": not shown.short,
        "treated": {
            "n": u.treated_n,
            "ordered": u.treated_ordered,
            "rate": u.treated_rate,
            "amount_fen": u.treated_amount_fen,
            "amount_per_retailer_fen": u.treated_amount_per_retailer,
        },
        "holdout": {
            "n": u.holdout_n,
            "ordered": u.holdout_ordered,
            "rate": u.holdout_rate,
            "amount_fen": u.holdout_amount_fen,
            "amount_per_retailer_fen": u.holdout_amount_per_retailer,
        },
        "rate_uplift": shown.rate_uplift,
        "amount_uplift_fen": None if shown.short else u.amount_uplift,
        "computed_at": u.computed_at.isoformat(),
    }


class CampaignViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Campaigns the caller may see (their unit's, or those reaching their retailers). Create and edit drafts;
    `approve` (another supervisor), `launch`, `pause`, `resume`, `cancel`; `results` counts, conversion and the
    order uplift against the holdout."""

    serializer_class = CampaignSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_class = CampaignFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return campaign_list(user=self.request.user).prefetch_related("promoted_products").order_by("-id")

    def _transition(self, service):
        campaign = self.get_object()
        try:
            campaign = service(actor=self.request.user, campaign=campaign)
        except DjangoPermissionDenied as exc:
            raise denied(exc) from exc
        return Response(CampaignSerializer(campaign, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(campaign_approve)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request, pk=None):
        return self._transition(campaign_schedule)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        return self._transition(campaign_pause)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return self._transition(campaign_resume)

    @extend_schema(request=None, responses=CampaignSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(campaign_cancel)

    @extend_schema(responses=CampaignResultsSerializer)
    @action(detail=True, methods=["get"])
    def results(self, request, pk=None):
        campaign = self.get_object()
        counts = campaign_counts(campaign=campaign, user=request.user)
        conversion = None
        if campaign_seen_whole(user=request.user, campaign=campaign):
            result = campaign_conversion(campaign=campaign)
            if result.measured:
                conversion = {
                    "window": [d.isoformat() for d in result.window],
                    "treated": {
                        "n": result.treated_n,
                        "converted": result.treated_converted,
                        "rate": result.treated_rate,
                    },
                    "holdout": {
                        "n": result.holdout_n,
                        "converted": result.holdout_converted,
                        "rate": result.holdout_rate,
                    },
                    "uplift": result.uplift,
                    "uplift_ci95": list(result.uplift_ci) if result.uplift_ci else None,
                }
        return Response(
            {"counts": counts, "conversion": conversion, "uplift": _uplift_dict(campaign, request.user)}
        )
