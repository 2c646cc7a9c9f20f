"""REST API for violations (/api/v1/violations/: list, read, record, void; never delete) and the credit rule
(/api/v1/credit-rules/). Scoped through accounts.selectors.retailer_scope: another territory answers 404."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.compliance import selectors, services
from accounts.compliance.models import CreditRule, Violation
from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import ModelPermissions
from core.serializers import ModelSerializer as StrictModelSerializer
from users.serializers import user_ref


class ViolationSerializer(StrictModelSerializer):
    recorded_by = user_ref()
    voided_by = user_ref()

    class Meta:
        model = Violation
        fields = [
            "id",
            "retailer",
            "occurred_on",
            "type",
            "penalty",
            "fine_fen",
            "suspension_days",
            "source",
            "notes",
            "recorded_by",
            "recorded_at",
            "voided_at",
            "voided_by",
            "void_reason",
        ]
        read_only_fields = ["recorded_by", "recorded_at", "voided_at", "voided_by", "void_reason"]
        extra_kwargs = {"retailer": {"queryset": Violation.retailer.field.related_model.objects.all()}}


VoidSerializer = inline_serializer("ViolationVoid", {"void_reason": serializers.CharField(max_length=200)})


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="shop name, licence number or customer code"),
            OpenApiParameter("type", OpenApiTypes.STR, enum=Violation.Type.values),
            OpenApiParameter("source", OpenApiTypes.STR, enum=Violation.Source.values),
            OpenApiParameter("penalty", OpenApiTypes.STR, enum=Violation.Penalty.values),
            OpenApiParameter("status", OpenApiTypes.STR, enum=["active", "void"]),
            OpenApiParameter("retailer", OpenApiTypes.INT),
            OpenApiParameter("since", OpenApiTypes.DATE),
            OpenApiParameter("until", OpenApiTypes.DATE),
        ]
    )
)
class ViolationViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ViolationSerializer
    permission_classes = [ModelPermissions]
    pagination_class = NewestFirst
    queryset = Violation.objects.none()
    http_method_names = ["get", "post", "head", "options"]  # never deleted: voided

    def get_queryset(self):
        params = self.request.query_params
        filters = {
            k: params.get(k)
            for k in ("q", "type", "source", "penalty", "status", "retailer", "since", "until")
        }
        return selectors.violation_list(user=self.request.user, filters=filters)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        retailer = retailer_get(user=self.request.user, retailer_id=data.pop("retailer").pk)
        serializer.instance = services.violation_record(actor=self.request.user, retailer=retailer, data=data)

    @extend_schema(request=VoidSerializer, responses=ViolationSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        if not request.user.has_perm("accounts.change_violation"):
            self.permission_denied(request)
        violation = selectors.violation_get(user=request.user, violation_id=pk)
        violation = services.violation_void(
            actor=request.user, violation=violation, reason=str(request.data.get("void_reason", ""))
        )
        return Response(ViolationSerializer(violation).data)


class CreditRuleSerializer(StrictModelSerializer):
    class Meta:
        model = CreditRule
        exclude = ["updated_at"]


class CreditRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    """The credit-grade rule(s); editing needs accounts.change_creditrule (admins). Grades follow at the nightly
    recompute, or at once from the admin action."""

    serializer_class = CreditRuleSerializer
    permission_classes = [ModelPermissions]
    queryset = CreditRule.objects.order_by("-is_active", "id")
    pagination_class = None

    def perform_update(self, serializer):
        serializer.instance = services.credit_rule_update(
            actor=self.request.user, rule=serializer.instance, data=dict(serializer.validated_data)
        )
