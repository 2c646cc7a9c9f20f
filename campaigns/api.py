"""REST API: /api/v1/campaigns/ (with approve, launch, pause, resume, cancel and results), /api/v1/templates/
(with preview) and /api/v1/deliveries/ (the send log, cursor-paginated). The same scoping and services as the
pages; the gateway's webhooks are plain views in campaigns.public_views."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from accounts.selectors import retailer_scope
from campaigns import templating
from campaigns.models import Campaign, Delivery, MessageTemplate
from campaigns.selectors import (
    campaign_conversion,
    campaign_counts,
    campaign_list,
    campaign_seen_whole,
    campaign_uplift_shown,
    delivery_list,
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
from campaigns.services.templates import template_create, template_update
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from sales.models import Product
from segmentation.models import Segment
from users.serializers import user_ref


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the view permission too (DRF's default lets any authenticated user read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


def _denied(exc: DjangoPermissionDenied):
    return PermissionDenied(str(exc) or None)


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
        from segmentation.selectors import segment_list

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
            raise _denied(exc) from exc

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
            raise _denied(exc) from exc


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
            raise _denied(exc) from exc
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


class TemplateSerializer(StrictModelSerializer):
    created_by = user_ref()

    class Meta:
        model = MessageTemplate
        fields = [
            "id",
            "name",
            "channel",
            "org_unit",
            "subject",
            "body",
            "html_body",
            "is_active",
            "created_by",
            "updated_at",
        ]
        read_only_fields = ["org_unit", "created_by", "updated_at"]

    def create(self, validated_data):
        try:
            return template_create(actor=self.context["request"].user, data=validated_data)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc

    def update(self, instance, validated_data):
        try:
            return template_update(actor=self.context["request"].user, template=instance, data=validated_data)
        except DjangoPermissionDenied as exc:
            raise _denied(exc) from exc


class TemplatePreviewRequestSerializer(StrictSerializer):
    retailer = serializers.IntegerField(required=False)


class TemplatePreviewSerializer(StrictSerializer):
    subject = serializers.CharField()
    text = serializers.CharField()
    html = serializers.CharField()
    characters = serializers.IntegerField()
    segments = serializers.IntegerField()
    problems = serializers.DictField()


class TemplateViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Message templates of the caller's unit and the units above it. An SMS template is refused (400, with the
    reason) without the 【signature】 and the opt-out wording. `preview` renders it for one of your retailers."""

    serializer_class = TemplateSerializer
    permission_classes = [permissions.IsAuthenticated, ModelPermissions]
    filterset_fields = ["channel", "is_active"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return template_list(user=self.request.user).order_by("-id")

    @extend_schema(request=TemplatePreviewRequestSerializer, responses=TemplatePreviewSerializer)
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        template = self.get_object()
        body = TemplatePreviewRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        retailer = None
        if body.validated_data.get("retailer"):
            retailer = (
                retailer_scope(user=request.user)
                .select_related("route__manager")
                .filter(pk=body.validated_data["retailer"])
                .first()
            )
            if retailer is None:
                raise serializers.ValidationError({"retailer": "没有这位客户，或不在您的辖区内。"})
        result = templating.preview(
            channel=template.channel,
            subject=template.subject,
            body=template.body,
            html_body=template.html_body,
            retailer=retailer,
        )
        return Response(
            {
                "subject": result.rendered.subject,
                "text": result.rendered.text,
                "html": result.rendered.html,
                "characters": result.characters,
                "segments": result.segments,
                "problems": result.problems,
            }
        )


class DeliveryCursorPagination(CursorPage):
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"
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
