"""REST API of the ranked daily list."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from core.permissions import needs
from core.serializers import Serializer as StrictSerializer
from users.models import User
from visits import selectors
from visits.daily.selectors import daily_list
from visits.http import MAX_ID


class ReasonSerializer(StrictSerializer):
    code = serializers.CharField()
    points = serializers.IntegerField()
    text = serializers.CharField()


class RecommendedSerializer(StrictSerializer):
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField(source="product.name")
    kind = serializers.CharField()


class DailyEntrySerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="retailer.pk")
    shop_name = serializers.CharField(source="retailer.shop_name")
    address = serializers.CharField(source="retailer.address")
    latitude = serializers.DecimalField(
        source="retailer.latitude", max_digits=9, decimal_places=6, allow_null=True
    )
    longitude = serializers.DecimalField(
        source="retailer.longitude", max_digits=9, decimal_places=6, allow_null=True
    )
    score = serializers.IntegerField()
    reasons = ReasonSerializer(many=True)
    last_visit = serializers.DateField(allow_null=True)
    planned_today = serializers.BooleanField()
    recommendations = RecommendedSerializer(many=True)


class DailyListViewSet(viewsets.ViewSet):
    """The ranked daily list of a customer manager (default: the caller; a supervisor passes `manager`). The score
    and its terms are documented in visits.daily.selectors; each entry lists the terms that scored."""

    permission_classes = [needs("visits.view_visitplan")]

    @extend_schema(
        parameters=[OpenApiParameter("manager", OpenApiTypes.INT)], responses=DailyEntrySerializer(many=True)
    )
    def list(self, request):
        manager_id = request.query_params.get("manager")
        if manager_id:
            if not manager_id.isdigit() or int(manager_id) > MAX_ID:
                raise DRFValidationError({"manager": "integer"})
            manager = selectors.manager_get(user=request.user, manager_id=int(manager_id))
        elif request.user.role == User.Role.MANAGER:
            manager = request.user
        else:
            raise DRFValidationError({"manager": "required for a supervisor"})
        entries = daily_list(manager=manager)
        return Response(DailyEntrySerializer(entries, many=True).data)
