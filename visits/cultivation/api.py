"""REST API of brand cultivation programmes: list, create, progress and targets."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.models import OrgUnit
from users.serializers import user_ref
from visits.cultivation.selectors import programme_list, programme_progress, programme_target_rows
from visits.cultivation.services import programme_create, programme_targets_add, programme_targets_by_rule
from visits.http import MAX_ID, drf_error
from visits.models import CultivationProgramme


class ProgrammeSerializer(StrictModelSerializer):
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())

    class Meta:
        model = CultivationProgramme
        fields = [
            "id",
            "name",
            "product",
            "org_unit",
            "starts_on",
            "ends_on",
            "goal_selling_retailers",
            "goal_sell_through_pct",
            "rule_weeks",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ProgressSerializer(StrictSerializer):
    manager = user_ref(allow_null=True, default=None)
    targets = serializers.IntegerField()
    selling = serializers.IntegerField()
    this_cartons = serializers.IntegerField()
    last_cartons = serializers.IntegerField()
    avg_this = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    avg_last = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    sell_through_pct = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    checked = serializers.IntegerField()
    in_stock = serializers.IntegerField()
    shelf_pct = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class TargetsBodySerializer(StrictSerializer):
    select_by = serializers.ChoiceField(choices=["rule", "hand"])
    retailers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        default=list,
        max_length=5000,
    )


class ProgrammeViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Brand cultivation programmes visible to the caller (their unit, above and below). `progress/` gives the
    goals' measures in total and per manager; POST `targets/` adds shops by rule or by id."""

    serializer_class = ProgrammeSerializer
    pagination_class = NewestFirst
    lookup_value_regex = "[0-9]+"

    def get_permissions(self):
        perm = {
            "create": "visits.add_cultivationprogramme",
            "targets": "visits.add_cultivationtarget",
        }.get(self.action, "visits.view_cultivationprogramme")
        return [needs(perm)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return CultivationProgramme.objects.none()
        return programme_list(user=self.request.user).order_by("-id")

    def perform_create(self, serializer):
        try:
            serializer.instance = programme_create(actor=self.request.user, **serializer.validated_data)
        except ValidationError as exc:
            raise drf_error(exc) from exc

    @extend_schema(
        responses=inline_serializer(
            "CultivationProgress",
            {
                "this_from": serializers.DateField(),
                "this_to": serializers.DateField(allow_null=True),
                "last_from": serializers.DateField(),
                "last_to": serializers.DateField(),
                "total": ProgressSerializer(),
                "by_manager": ProgressSerializer(many=True),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def progress(self, request, pk=None):
        programme = self.get_object()
        periods, total, by_manager = programme_progress(user=request.user, programme=programme)
        return Response(
            {
                "this_from": periods.this_from,
                "this_to": periods.this_to,
                "last_from": periods.last_from,
                "last_to": periods.last_to,
                "total": ProgressSerializer(total).data,
                "by_manager": ProgressSerializer(by_manager, many=True).data,
            }
        )

    @extend_schema(
        request=TargetsBodySerializer,
        responses=inline_serializer("TargetsAdded", {"added": serializers.IntegerField()}),
    )
    @action(detail=True, methods=["post"])
    def targets(self, request, pk=None):
        programme = self.get_object()
        body = TargetsBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            if body.validated_data["select_by"] == "rule":
                added = programme_targets_by_rule(programme=programme, actor=request.user)
            else:
                added = programme_targets_add(
                    actor=request.user, programme=programme, retailer_ids=body.validated_data["retailers"]
                )
        except ValidationError as exc:
            raise drf_error(exc) from exc
        return Response({"added": added})

    @extend_schema(
        responses=inline_serializer(
            "CultivationTarget",
            {
                "retailer_id": serializers.IntegerField(),
                "shop_name": serializers.CharField(),
                "customer_code": serializers.CharField(),
                "manager_id": serializers.IntegerField(allow_null=True),
                "source": serializers.CharField(),
                "this_cartons": serializers.IntegerField(),
                "last_cartons": serializers.IntegerField(),
                "in_stock": serializers.BooleanField(allow_null=True),
            },
            many=True,
        )
    )
    @action(detail=True, methods=["get"], url_path="target-list")
    def target_list(self, request, pk=None):
        programme = self.get_object()
        return Response(programme_target_rows(user=request.user, programme=programme, limit=1000))
