"""REST API for allocation under /api/v1/allocation/: plans (create, edit drafts, preview, publish, new version),
each retailer's allowances with the reason, fill rate per product and tier, and excess lines. Scoped like the pages:
plans of the caller's unit line, retailers through accounts.selectors.retailer_scope (another territory: 404)."""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import ModelPermissions, needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from sales.allocation import selectors, services
from sales.allocation.models import AllocationExcess, AllocationPlan, AllocationRule
from users.serializers import user_ref


class RuleSerializer(StrictModelSerializer):
    class Meta:
        model = AllocationRule
        fields = ["tier_from", "tier_to", "market_type", "cartons"]
        # the service checks ranges, overlaps and signs and answers with one message per row
        extra_kwargs = {
            "tier_from": {"validators": []},
            "tier_to": {"validators": []},
            "cartons": {"validators": [], "min_value": None},
        }


class PlanSerializer(StrictModelSerializer):
    created_by = user_ref()
    published_by = user_ref()
    rules = RuleSerializer(many=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = AllocationPlan
        fields = [
            "id",
            "product",
            "product_name",
            "org_unit",
            "cycle_start",
            "cycle_end",
            "version",
            "state",
            "supply_cartons",
            "total_allowance",
            "override_reason",
            "frozen_from",
            "notes",
            "rules",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        ]
        read_only_fields = [
            "version",
            "state",
            "total_allowance",
            "override_reason",
            "frozen_from",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        ]
        extra_kwargs = {
            "cycle_end": {"required": False, "allow_null": True},
            # the service decides what the supply may be (and says why); the API asks for it like the page does
            "supply_cartons": {"min_value": None, "required": True},
        }


class PlanUpdateSerializer(StrictSerializer):
    supply_cartons = serializers.IntegerField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    rules = RuleSerializer(many=True)


class PreviewRowSerializer(StrictSerializer):
    tier_label = serializers.CharField()
    market_type = serializers.CharField()
    cartons = serializers.IntegerField()
    retailers = serializers.IntegerField()
    total = serializers.IntegerField()


class PreviewSerializer(StrictSerializer):
    rows = PreviewRowSerializer(many=True)
    blocked = inline_serializer(
        "AllocationBlocked",
        {
            "reason": serializers.CharField(),
            "label": serializers.CharField(),
            "retailers": serializers.IntegerField(),
            "cartons": serializers.IntegerField(),
        },
        many=True,
    )
    retailers = serializers.IntegerField()
    allowed_retailers = serializers.IntegerField()
    total = serializers.IntegerField()
    supply = serializers.IntegerField()
    over = serializers.BooleanField()
    frozen = serializers.BooleanField()


PublishSerializer = inline_serializer(
    "AllocationPublish",
    {"override_reason": serializers.CharField(required=False, allow_blank=True, max_length=200)},
)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=AllocationPlan.State.values),
            OpenApiParameter("product", OpenApiTypes.INT),
            OpenApiParameter("cycle", OpenApiTypes.DATE, description="plans whose cycle contains this day"),
        ]
    )
)
class PlanViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Allocation plans. PUT/PATCH edits a draft's supply, notes and rules (a published plan is locked: 409)."""

    idempotent_actions = ("new_version",)

    serializer_class = PlanSerializer
    permission_classes = [ModelPermissions]
    pagination_class = NewestFirst
    queryset = AllocationPlan.objects.none()
    http_method_names = ["get", "post", "put", "patch"]

    def get_queryset(self):
        filters = {k: self.request.query_params.get(k) for k in ("state", "product")}
        cycle = self.request.query_params.get("cycle")
        if cycle:
            try:
                filters["cycle"] = datetime.date.fromisoformat(cycle)
            except ValueError:
                raise ApiValidationError({"cycle": "YYYY-MM-DD"}) from None
        return selectors.allocation_plan_list(user=self.request.user, filters=filters).prefetch_related(
            "rules"
        )

    def get_object(self):
        plan = selectors.allocation_plan_get(user=self.request.user, plan_id=self.kwargs["pk"])
        self.check_object_permissions(self.request, plan)
        return plan

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.allocation_plan_create(
            actor=self.request.user,
            product_id=data["product"].pk,
            org_unit_id=data["org_unit"].pk,
            cycle_start=data["cycle_start"],
            cycle_end=data.get("cycle_end"),
            supply_cartons=data["supply_cartons"],
            rules=[dict(r) for r in data["rules"]],
            notes=data.get("notes", ""),
        )

    @extend_schema(request=PlanUpdateSerializer, responses=PlanSerializer)
    def update(self, request, *args, **kwargs):
        plan = self.get_object()
        body = PlanUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        plan = services.allocation_plan_update(
            actor=request.user,
            plan=plan,
            supply_cartons=body.validated_data["supply_cartons"],
            rules=[dict(r) for r in body.validated_data["rules"]],
            notes=body.validated_data.get("notes", ""),
        )
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=PlanUpdateSerializer, responses=PlanSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, **kwargs)

    @extend_schema(responses=PreviewSerializer)
    @action(detail=True, methods=["get"])
    def preview(self, request, pk=None):
        return Response(PreviewSerializer(selectors.allocation_preview(plan=self.get_object())).data)

    @extend_schema(request=PublishSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"], permission_classes=[needs("sales.publish_allocationplan")])
    def publish(self, request, pk=None):
        plan = services.allocation_plan_publish(
            actor=request.user,
            plan=self.get_object(),
            override_reason=str(request.data.get("override_reason", "")),
        )
        return Response(PlanSerializer(plan).data)

    @extend_schema(request=None, responses={201: PlanSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="new-version",
        permission_classes=[needs("sales.add_allocationplan")],
    )
    def new_version(self, request, pk=None):
        plan = services.allocation_plan_new_version(actor=request.user, plan=self.get_object())
        return Response(PlanSerializer(plan).data, status=201)


class AllowanceSerializer(StrictSerializer):
    plan = serializers.IntegerField(source="plan.pk")
    product = serializers.IntegerField(source="plan.product_id")
    product_name = serializers.CharField()
    cycle_start = serializers.DateField(source="plan.cycle_start")
    cycle_end = serializers.DateField(source="plan.cycle_end")
    cartons = serializers.IntegerField()
    reason = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    market_type = serializers.CharField()
    explanation = serializers.CharField()


DAY = OpenApiParameter("day", OpenApiTypes.DATE, description="a day of the cycle (default today)")


def _day(request) -> datetime.date:
    value = request.query_params.get("day")
    if not value:
        from django.utils import timezone

        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ApiValidationError({"day": "YYYY-MM-DD"}) from None


class AllowanceViewSet(viewsets.ViewSet):
    """A retailer's allowance in every plan published for the cycle containing `day`, with the reason."""

    permission_classes = [needs("sales.view_allocationplan")]

    @extend_schema(
        parameters=[OpenApiParameter("retailer", OpenApiTypes.INT, required=True), DAY],
        responses=AllowanceSerializer(many=True),
    )
    def list(self, request):
        rid = request.query_params.get("retailer", "")
        if not rid.isdigit():
            raise ApiValidationError({"retailer": "required"})
        retailer = retailer_get(user=request.user, retailer_id=int(rid))
        items = selectors.retailer_allowances(retailer_ids=[retailer.pk], day=_day(request))[retailer.pk]
        return Response(AllowanceSerializer(items, many=True).data)


class FillRateRowSerializer(StrictSerializer):
    plan = serializers.IntegerField(source="plan.pk")
    product = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    retailers = serializers.IntegerField()
    allowed = serializers.IntegerField()
    ordered = serializers.IntegerField()
    filled = serializers.IntegerField()
    excess = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)


class FillRateViewSet(viewsets.ViewSet):
    """Fill rate (within-limit ordered ÷ allowed) per product and tier over the caller's retailers."""

    permission_classes = [needs("sales.view_allocationplan")]

    @extend_schema(parameters=[DAY], responses=FillRateRowSerializer(many=True))
    def list(self, request):
        report = selectors.allocation_fill_rate(user=request.user, day=_day(request))
        return Response(FillRateRowSerializer(report["rows"], many=True).data)


class ExcessSerializer(StrictModelSerializer):
    order_no = serializers.CharField(source="order_line.order.order_no", read_only=True)
    product = serializers.IntegerField(source="plan.product_id", read_only=True)

    class Meta:
        model = AllocationExcess
        fields = [
            "id",
            "plan",
            "retailer",
            "order_no",
            "product",
            "ordered_on",
            "allowance",
            "ordered_to_date",
            "excess_cartons",
        ]


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("plan", OpenApiTypes.INT)]))
class ExcessViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ExcessSerializer
    permission_classes = [ModelPermissions]
    pagination_class = NewestFirst
    queryset = AllocationExcess.objects.none()

    def get_queryset(self):
        return selectors.allocation_excess_list(
            user=self.request.user, filters={"plan": self.request.query_params.get("plan")}
        )
