"""REST API of the complaint report: the report page's figures."""

import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from core.permissions import needs
from core.serializers import Serializer as StrictSerializer
from feedback.complaints.reports.selectors import REPORT_YEARS, ReportFilters, complaint_report
from users.models import OrgUnit


class ReportSerializer(StrictSerializer):
    months = serializers.ListField(child=serializers.CharField())
    by_category = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    by_unit = serializers.DictField(child=serializers.ListField(child=serializers.IntegerField()))
    attainment = serializers.DictField()
    median_hours = serializers.FloatField(allow_null=True)
    p90_hours = serializers.FloatField(allow_null=True)


class ComplaintReportViewSet(viewsets.ViewSet):
    """The report page's figures: volume by category and unit per month, deadline attainment, time to resolve."""

    permission_classes = [needs("feedback.view_complaint")]
    list_is_one_object = True  # the report, not a list of reports (core.schema)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="default: 180 days ago"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="inclusive; default today"),
            OpenApiParameter("unit", OpenApiTypes.INT, description="an org unit id"),
        ],
        responses=ReportSerializer,
    )
    def list(self, request):
        today = timezone.localdate()
        query = request.query_params
        try:
            date_from = (
                datetime.date.fromisoformat(query["from"])
                if query.get("from")
                else today - datetime.timedelta(days=180)
            )
            date_to = datetime.date.fromisoformat(query["to"]) if query.get("to") else today
        except ValueError:
            raise serializers.ValidationError({"from": [_("日期格式应为 YYYY-MM-DD。")]}) from None
        if date_from > date_to:
            raise serializers.ValidationError({"from": [_("开始日期晚于结束日期。")]})
        if not (REPORT_YEARS[0] <= date_from.year and date_to.year <= REPORT_YEARS[1]):
            raise serializers.ValidationError(
                {"from": [_("日期须在 %(a)s–%(b)s 年之间。") % {"a": REPORT_YEARS[0], "b": REPORT_YEARS[1]}]}
            )
        unit = None
        unit_id = request.query_params.get("unit") or ""
        if unit_id:
            if not unit_id.isdigit():
                raise serializers.ValidationError({"unit": [_("请填写组织单位的编号。")]})
            unit = get_object_or_404(OrgUnit, pk=int(unit_id))
        report = complaint_report(
            user=request.user, filters=ReportFilters(date_from=date_from, date_to=date_to, unit=unit)
        )
        return Response(ReportSerializer(report).data)
