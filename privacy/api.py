"""REST API of personal-information requests (/api/v1/privacy-requests/): list, read, register; `export`
(?format=xlsx|json, the person's copy, logged), `correct`, `approve` (a deletion), `refuse`. Scoped through
accounts.selectors.retailer_scope: another territory answers 404. Corrections are shown masked like every
personal value outside the person's own copy."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.idempotency import IdempotentCreateMixin
from core.masking import mask_personal_fields
from core.pagination import NewestFirst
from core.permissions import ModelPermissions
from core.serializers import ModelSerializer as StrictModelSerializer
from privacy import selectors, services
from privacy.models import PrivacyRequest, RetailerAnonymisation


class PrivacyRequestSerializer(StrictModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    statement = serializers.SerializerMethodField()

    class Meta:
        model = PrivacyRequest
        fields = [
            "id",
            "retailer",
            "kind",
            "status",
            "channel",
            "details",
            "corrections",
            "received_at",
            "due_at",
            "is_overdue",
            "created_by",
            "decided_by",
            "decided_at",
            "refusal_reason",
            "statement",
        ]
        validators = []  # one open request per kind: the service decides (409), not a second copy of the rule
        read_only_fields = ["status", "due_at", "created_by", "decided_by", "decided_at", "refusal_reason"]
        extra_kwargs = {
            "retailer": {"queryset": PrivacyRequest.retailer.field.related_model.objects.all()},
            "received_at": {"required": False},
        }

    def get_statement(self, obj) -> list:
        anonymisation = RetailerAnonymisation.objects.filter(request=obj).only("statement").first()
        return anonymisation.statement if anonymisation else []

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["corrections"] = mask_personal_fields(dict(data.get("corrections") or {}))
        return data


RefuseSerializer = inline_serializer("PrivacyRefuse", {"reason": serializers.CharField(max_length=300)})


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=PrivacyRequest.Status.values)]
    )
)
class PrivacyRequestViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PrivacyRequestSerializer
    permission_classes = [ModelPermissions]
    pagination_class = NewestFirst
    queryset = PrivacyRequest.objects.none()
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        if self.action == "list":
            return selectors.privacy_request_list(
                user=self.request.user, status=self.request.query_params.get("status") or None
            ).order_by("-id")
        return selectors.privacy_request_scope(user=self.request.user)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.privacy_request_create(
            actor=self.request.user,
            retailer_id=data.pop("retailer").pk,
            kind=data.get("kind"),
            channel=data.get("channel", PrivacyRequest.Channel.VISIT),
            details=data.get("details", ""),
            corrections=data.get("corrections") or {},
            received_at=data.get("received_at"),
        )

    def _item(self, pk) -> PrivacyRequest:
        return selectors.privacy_request_get(user=self.request.user, request_id=pk)

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=[*services.EXPORT_FORMATS])],
        responses={
            (200, "application/json"): OpenApiTypes.OBJECT,
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["post"])
    def export(self, request, pk=None):
        fmt = request.query_params.get("format") or request.data.get("format") or "json"
        content, filename, content_type = services.privacy_access_export(
            actor=request.user, request=self._item(pk), fmt=str(fmt)
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    @extend_schema(request=None, responses=PrivacyRequestSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        item = services.privacy_correction_apply(actor=request.user, request=self._item(pk))
        return Response(PrivacyRequestSerializer(item).data)

    @extend_schema(request=None, responses=PrivacyRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        item = self._item(pk)
        services.privacy_erasure_approve(actor=request.user, request=item)
        item.refresh_from_db()
        return Response(PrivacyRequestSerializer(item).data)

    @extend_schema(request=RefuseSerializer, responses=PrivacyRequestSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        item = services.privacy_request_refuse(
            actor=request.user, request=self._item(pk), reason=str(request.data.get("reason", ""))
        )
        return Response(PrivacyRequestSerializer(item).data)
