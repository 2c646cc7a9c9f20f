"""REST API of saved segments: /api/v1/segments/ (list, create, retrieve, update, archive), their members, a
preview of an unsaved definition and the field catalogue a rule builder needs. Same scoping as the pages.

A bad definition answers 400 with the messages under `definition` (as every field's errors) and the same
errors with their rule paths under `rules`:

    {"definition": ["规则 2.1：未知字段 xyz"],
     "rules": [{"path": "2.1", "code": "unknown_field", "message": "规则 2.1：未知字段 xyz"}]}
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.models import Retailer
from core.idempotency import IdempotentCreateMixin
from core.masking import MOBILE, mask_personal
from core.pagination import NewestFirst
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from segmentation.segments.models import Segment
from segmentation.segments.rules import catalogue, definition_describe, rule_errors
from segmentation.segments.selectors import (
    segment_list,
    segment_members_for_user,
    segment_preview,
    segment_units_usable,
)
from segmentation.segments.services import segment_archive, segment_create, segment_may_create, segment_update
from users.models import OrgUnit
from users.serializers import user_ref

VIEW_PERMISSION = "segmentation.view_segment"


def _call_service(call):
    """Run a service; its ValidationError becomes a 400 naming each field and, for the rules, each path."""
    try:
        return call()
    except DjangoValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise ValidationError({"non_field_errors": exc.messages}) from exc
        detail = exc.message_dict
        if "definition" in exc.error_dict:
            detail["rules"] = rule_errors(DjangoValidationError(exc.error_dict["definition"]))
        raise ValidationError(detail) from exc


class SegmentSerializer(StrictModelSerializer):
    org_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.none(), required=False, help_text="默认为调用者所属单位"
    )
    definition = serializers.JSONField(
        help_text='规则树：{"op": "and"|"or", "rules": [...]}，见 /segments/fields/'
    )
    rules_text = serializers.SerializerMethodField(help_text="规则的文字说明")
    created_by = user_ref()
    updated_by = user_ref()

    class Meta:
        model = Segment
        fields = [
            "id",
            "name",
            "description",
            "org_unit",
            "definition",
            "rules_text",
            "is_archived",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_archived", "created_at", "updated_at"]
        validators = []  # the service checks the name's uniqueness (and everything else) in one place

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["org_unit"].queryset = segment_units_usable(user=request.user)

    def get_rules_text(self, segment) -> str:
        return definition_describe(segment.definition)

    def create(self, validated_data):
        user = self.context["request"].user
        return _call_service(lambda: segment_create(user=user, **validated_data))

    def update(self, instance, validated_data):
        user = self.context["request"].user
        return _call_service(lambda: segment_update(user=user, segment=instance, **validated_data))


class SegmentMemberSerializer(StrictModelSerializer):
    """A member as a list row: personal fields masked like every list (core.masking); the full number is
    POST /api/v1/retailers/{id}/reveal/, where reading it is logged."""

    mobile = serializers.SerializerMethodField()
    route_code = serializers.CharField(source="route.code", read_only=True, default=None)
    manager = user_ref(source="route.manager")
    # plain text: a second component with the retailer's status choices would collide in the schema's enum names
    status = serializers.CharField(read_only=True, help_text="客户状态：active / suspended / closed")

    class Meta:
        model = Retailer
        fields = [
            "id",
            "customer_code",
            "licence_no",
            "shop_name",
            "owner_name",
            "mobile",
            "address",
            "class_code",
            "business_format",
            "tier",
            "credit_grade",
            "status",
            "org_unit",
            "route_code",
            "manager",
        ]
        read_only_fields = fields

    def get_mobile(self, retailer) -> str:
        return mask_personal(MOBILE, retailer.mobile)


class PreviewRequestSerializer(StrictSerializer):
    definition = serializers.JSONField()
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["org_unit"].queryset = segment_units_usable(user=request.user)


PreviewResponse = inline_serializer(
    "SegmentPreview",
    {
        "count": serializers.IntegerField(help_text="调用者可见的成员数，最多数到 capped 的上限"),
        "capped": serializers.BooleanField(help_text="为 true 时实际成员多于 count"),
        "rules_text": serializers.CharField(),
        "sample": SegmentMemberSerializer(many=True),
    },
)
FieldResponse = inline_serializer(
    "SegmentField",
    {
        "name": serializers.CharField(),
        "label": serializers.CharField(),
        "type": serializers.ChoiceField(
            choices=["choice", "number", "bool", "date-relative", "text", "product", "measure"]
        ),
        "group": serializers.CharField(),
        "group_label": serializers.CharField(),
        "help_text": serializers.CharField(),
        "operators": inline_serializer(
            "SegmentFieldOperator",
            {"name": serializers.CharField(), "label": serializers.CharField()},
            many=True,
        ),
        "choices": inline_serializer(
            "SegmentFieldChoice",
            {"value": serializers.JSONField(), "label": serializers.CharField()},
            many=True,
            allow_null=True,
        ),
    },
    many=True,
)


class SegmentPermission(permissions.BasePermission):
    """Reading needs segmentation.view_segment; creating, the right to create (changing is checked per segment
    by the service)."""

    def has_permission(self, request, view):
        if not request.user.has_perm(VIEW_PERMISSION):
            return False
        if view.action == "create":
            return segment_may_create(user=request.user)
        return True


MembersPage = inline_serializer(
    "PaginatedSegmentMemberList",
    {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": SegmentMemberSerializer(many=True),
    },
)


@extend_schema_view(
    list=extend_schema(
        summary="Segments the caller may see (live ones; ?archived=true for archived)",
        parameters=[
            OpenApiParameter("q", str, description="名称包含"),
            OpenApiParameter("archived", bool, description="true：只列已归档的"),
            OpenApiParameter("org_unit", int, description="只列覆盖此单位或其下级单位的分群"),
        ],
    ),
    retrieve=extend_schema(summary="One segment; 404 outside the caller's territory"),
    create=extend_schema(summary="Create a segment (400 names each bad rule by its path)"),
    update=extend_schema(summary="Replace a segment's name, description, org unit and rules"),
    partial_update=extend_schema(summary="Change some of a segment's fields"),
)
class SegmentViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = SegmentSerializer
    permission_classes = [permissions.IsAuthenticated, SegmentPermission]
    pagination_class = NewestFirst
    lookup_value_regex = r"\d+"
    filter_backends = []

    def get_queryset(self):
        if self.action == "list":
            params = self.request.query_params
            archived = params.get("archived", "").lower() in ("1", "true")
            unit = params.get("org_unit", "")
            q = params.get("q", "")
            if "\x00" in q:  # PostgreSQL text cannot hold NUL; say so instead of failing
                raise ValidationError({"q": [_("搜索词含有无效字符。")]})
            filters = {
                "q": q,
                "archived": archived,
                "org_unit": segment_units_usable(user=self.request.user).filter(pk=unit).first()
                if unit.isdigit() and len(unit) < 19
                else None,
            }
            return segment_list(user=self.request.user, filters=filters)
        return segment_list(user=self.request.user, filters={"archived": None})

    @extend_schema(summary="Archive a segment (idempotent)", request=None)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        segment = segment_archive(user=request.user, segment=self.get_object())
        return Response(self.get_serializer(segment).data)

    @extend_schema(
        summary="The members the caller may see, newest first (cursor-paginated, phones masked)",
        parameters=[
            OpenApiParameter("cursor", str, description="翻页游标"),
            OpenApiParameter("page_size", int, description="每页条数，最多 200"),
        ],
        responses=MembersPage,
    )
    @action(detail=True, methods=["get"], serializer_class=SegmentMemberSerializer)
    def members(self, request, pk=None):
        segment = self.get_object()
        qs = segment_members_for_user(user=request.user, segment=segment).select_related("route__manager")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(SegmentMemberSerializer(page, many=True).data)

    @extend_schema(
        summary="Count and first 20 members of an unsaved definition, as the caller may see them",
        request=PreviewRequestSerializer,
        responses=PreviewResponse,
    )
    @action(detail=False, methods=["post"], serializer_class=PreviewRequestSerializer)
    def preview(self, request):
        body = PreviewRequestSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        result = _call_service(
            lambda: segment_preview(
                user=request.user,
                definition=body.validated_data["definition"],
                org_unit=body.validated_data.get("org_unit"),
            )
        )
        return Response(
            {
                "count": result.count,
                "capped": result.capped,
                "rules_text": definition_describe(body.validated_data["definition"]),
                "sample": SegmentMemberSerializer(result.sample, many=True).data,
            }
        )

    @extend_schema(
        summary="The rule fields: labels, types, operators and the caller's choices", responses=FieldResponse
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def fields(self, request):
        return Response(catalogue(user=request.user))
