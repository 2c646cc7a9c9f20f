"""REST API of message templates: create, edit and preview with the SMS counter."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.selectors import retailer_scope
from campaigns import templating
from campaigns.api.permissions import denied
from campaigns.models import MessageTemplate
from campaigns.selectors import (
    template_list,
)
from campaigns.services.templates import template_create, template_update
from core.idempotency import IdempotentCreateMixin
from core.permissions import ModelPermissions
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.serializers import user_ref


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
            raise denied(exc) from exc

    def update(self, instance, validated_data):
        try:
            return template_update(actor=self.context["request"].user, template=instance, data=validated_data)
        except DjangoPermissionDenied as exc:
            raise denied(exc) from exc


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
