"""REST API of visit plans: the plans of the caller's shops."""

import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError as DRFValidationError

from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from users.serializers import user_ref
from visits import selectors
from visits.models import VisitPlan


class VisitPlanSerializer(StrictModelSerializer):
    manager = user_ref()

    class Meta:
        model = VisitPlan
        fields = ["id", "retailer", "planned_on", "manager", "route", "frequency"]
        read_only_fields = fields


class VisitPlanViewSet(viewsets.ReadOnlyModelViewSet):
    """Visit plans of the caller's shops; `planned_from` / `planned_to` (dates) narrow the range."""

    serializer_class = VisitPlanSerializer
    pagination_class = NewestFirst
    permission_classes = [needs("visits.view_visitplan")]
    filterset_fields = ["manager", "route", "frequency", "retailer"]

    @extend_schema(
        parameters=[
            OpenApiParameter("planned_from", OpenApiTypes.DATE),
            OpenApiParameter("planned_to", OpenApiTypes.DATE),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        try:
            day_from = (
                datetime.date.fromisoformat(params["planned_from"]) if params.get("planned_from") else None
            )
            day_to = datetime.date.fromisoformat(params["planned_to"]) if params.get("planned_to") else None
        except ValueError as exc:
            raise DRFValidationError({"planned_from": "YYYY-MM-DD"}) from exc
        return selectors.plan_list(user=self.request.user, day_from=day_from, day_to=day_to)
