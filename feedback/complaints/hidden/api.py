"""REST API of hidden complaints: the retailers to call, and the record of a call."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.hidden.selectors import hidden_complaints, hidden_reason_sources
from feedback.complaints.hidden.services import hidden_complaint_call_record
from users.serializers import user_ref


class HiddenReasonSerializer(StrictSerializer):
    code = serializers.CharField()
    reason = serializers.CharField()
    since = serializers.DateTimeField()


class HiddenComplaintSerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="retailer.pk")
    shop_name = serializers.CharField(source="retailer.shop_name")
    reasons = HiddenReasonSerializer(many=True)


class HiddenCallSerializer(StrictModelSerializer):
    called_by = user_ref()

    class Meta:
        model = HiddenComplaintCall
        fields = ["id", "retailer", "reason", "outcome", "note", "called_by", "called_at"]
        read_only_fields = ["id", "retailer", "called_by", "called_at"]


class HiddenComplaintViewSet(IdempotentCreateMixin, viewsets.ViewSet):
    """Retailers to call: orders fell sharply or rated low, and filed nothing since (see feedback.complaints.hidden.reasons)."""

    idempotent_actions = ("called",)

    permission_classes = [needs("feedback.view_hiddencomplaintcall")]
    lookup_value_regex = r"\d+"

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "reason", OpenApiTypes.STR, enum=[s.code for s in hidden_reason_sources()] or None
            )
        ],
        responses=HiddenComplaintSerializer(many=True),
    )
    def list(self, request):
        code = request.query_params.get("reason") or None
        rows = hidden_complaints(user=request.user, codes=[code] if code else None)
        return Response(HiddenComplaintSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="a retailer id")
        ],
        request=HiddenCallSerializer,
        responses={201: HiddenCallSerializer},
    )
    @action(detail=True, methods=["post"], permission_classes=[needs("feedback.add_hiddencomplaintcall")])
    def called(self, request, pk=None):
        if not 0 < int(pk) < 2**63:
            raise Http404
        retailer = retailer_get(user=request.user, retailer_id=int(pk))
        body = HiddenCallSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call = hidden_complaint_call_record(retailer=retailer, user=request.user, **body.validated_data)
        return Response(HiddenCallSerializer(call).data, status=status.HTTP_201_CREATED)
