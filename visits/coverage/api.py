"""REST API of coverage: planned vs done per manager and route."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.permissions import needs
from core.serializers import Serializer as StrictSerializer
from users.serializers import user_ref
from visits.coverage.selectors import coverage, coverage_totals, retailer_intervals
from visits.http import MAX_ID


class CoverageRowSerializer(StrictSerializer):
    manager = user_ref()
    route = serializers.IntegerField(source="route.pk", allow_null=True, default=None)
    route_code = serializers.CharField(source="route.code", allow_null=True, default=None)
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    coverage_pct = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    visits = serializers.IntegerField()
    too_far = serializers.IntegerField()
    no_location = serializers.IntegerField()
    doubtful = serializers.IntegerField(help_text="flagged visits not accepted (pending or rejected)")
    flag_rate_pct = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    avg_interval_days = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)


class IntervalSerializer(StrictSerializer):
    retailer_id = serializers.IntegerField()
    shop_name = serializers.CharField()
    customer_code = serializers.CharField()
    visit_days = serializers.IntegerField()
    first_visit = serializers.DateField()
    last_visit = serializers.DateField()
    avg_interval = serializers.DecimalField(max_digits=6, decimal_places=1)


class CoverageSerializer(StrictSerializer):
    rows = CoverageRowSerializer(many=True)
    intervals = IntervalSerializer(
        many=True, help_text="The 50 shops with the longest mean interval between visits."
    )
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    visits = serializers.IntegerField()
    flagged = serializers.IntegerField()
    doubtful = serializers.IntegerField()
    coverage_pct = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class PeriodSerializer(StrictSerializer):
    day_from = serializers.DateField()
    day_to = serializers.DateField()
    by = serializers.ChoiceField(
        choices=["route", "manager"],
        default="route",
        help_text="a row per manager and route (default), or per manager (route null)",
    )
    manager = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="only this customer manager's rows"
    )

    def validate(self, data):
        if data["day_to"] < data["day_from"]:
            raise serializers.ValidationError("day_to before day_from")
        if (data["day_to"] - data["day_from"]).days > 366:
            raise serializers.ValidationError("at most one year")
        return data


class CoverageViewSet(viewsets.ViewSet):
    """Planned vs done per manager and route for `day_from`..`day_to` (definitions in visits.coverage.selectors)."""

    list_is_one_object = True  # the coverage figures, not a list (core.schema)

    permission_classes = [needs("visits.view_coverage")]

    @extend_schema(
        parameters=[
            OpenApiParameter("day_from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("day_to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("by", OpenApiTypes.STR, enum=["route", "manager"]),
            OpenApiParameter("manager", OpenApiTypes.INT),
        ],
        responses=CoverageSerializer,
    )
    def list(self, request):
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        days = {"day_from": period.validated_data["day_from"], "day_to": period.validated_data["day_to"]}
        rows = coverage(
            user=request.user,
            **days,
            by_route=period.validated_data["by"] == "route",
            manager_id=period.validated_data.get("manager"),
        )
        intervals = retailer_intervals(user=request.user, **days, limit=50)
        return Response(
            CoverageSerializer({"rows": rows, "intervals": intervals, **coverage_totals(rows)}).data
        )
