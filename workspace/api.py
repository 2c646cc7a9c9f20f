"""GET /api/v1/workspace/: the customer manager's home as data — the same sections the page shows, from the same
selector (workspace.selectors.manager.manager_workspace: three queries whatever the route size), scoped to the caller's
own shops and with the phone masked as on the page (the full number only through the logged reveal,
POST /api/v1/retailers/{id}/reveal/).

It is the customer manager's: a supervisor's home is the cockpit, an administrator's the system health, and an
integration has no route — they are answered 403 (a workspace is "my route, my cases", which they do not have).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.masking import MOBILE, mask_personal
from core.serializers import Serializer as StrictSerializer
from users.models import User
from visits.daily.api import ReasonSerializer
from workspace.selectors import manager_workspace


class IsCustomerManager(permissions.BasePermission):
    message = _("工作台仅供客户经理使用：主管请看经营驾驶舱，管理员请看系统状态。")

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.role == User.Role.MANAGER)


class NextVisitSerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="retailer.pk")
    shop_name = serializers.CharField(source="retailer.shop_name")
    address = serializers.CharField(source="retailer.address")
    map_url = serializers.CharField(help_text="opens the phone's map app at the shop")
    score = serializers.IntegerField(help_text="the daily list's score (visits.daily.selectors)")
    reasons = ReasonSerializer(many=True)
    last_visit = serializers.DateField(allow_null=True)
    planned_today = serializers.BooleanField()


class VisitsSerializer(StrictSerializer):
    planned_today = serializers.IntegerField()
    done_today = serializers.IntegerField()
    next = NextVisitSerializer(
        many=True, help_text="the next shops of the daily list not visited today (≤ 3)"
    )


class ComplaintRowSerializer(StrictSerializer):
    id = serializers.IntegerField()
    retailer = serializers.IntegerField(source="retailer_id")
    shop = serializers.CharField()
    category = serializers.CharField(source="category_name", allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()
    priority = serializers.CharField()
    overdue = serializers.BooleanField()
    due = serializers.DateTimeField(allow_null=True, help_text="the response deadline, or the resolution's")


class MaskedMobileField(serializers.CharField):
    """The phone masked by the one rule (core.masking) whatever the row holds: the selector masks it already, as the
    page shows it; this keeps a future row from leaking it through the API."""

    def to_representation(self, value):
        return mask_personal(MOBILE, super().to_representation(value))


class CallbackSerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="id")
    shop_name = serializers.CharField()
    owner_name = serializers.CharField()
    mobile = MaskedMobileField(help_text="masked (138****1234) as on the page")
    complaint = serializers.IntegerField(source="complaint_id", allow_null=True)
    rating = serializers.IntegerField(allow_null=True)
    rated_at = serializers.DateTimeField(allow_null=True)
    survey_score = serializers.FloatField(allow_null=True)
    surveyed_at = serializers.DateTimeField(allow_null=True)


class LicenceRowSerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="id")
    shop_name = serializers.CharField()
    licence_no = serializers.CharField()
    licence_status = serializers.CharField()
    licence_status_label = serializers.CharField()
    licence_expires_on = serializers.DateField(allow_null=True)


class LicencesSerializer(StrictSerializer):
    expiring_count = serializers.IntegerField(help_text="valid licences expiring within 90 days")
    expired_count = serializers.IntegerField(
        help_text="supply stopped: expired, or not valid whatever the date"
    )
    expiring = LicenceRowSerializer(many=True)
    expired = LicenceRowSerializer(many=True)


class AtRiskSerializer(StrictSerializer):
    retailer = serializers.IntegerField(source="retailer_id")
    shop = serializers.CharField()
    lifecycle = serializers.CharField(allow_blank=True, allow_null=True)
    lifecycle_label = serializers.CharField(allow_blank=True)
    churn_pct = serializers.IntegerField(allow_null=True)
    last_order_on = serializers.DateField(allow_null=True)
    recency_days = serializers.IntegerField(allow_null=True)


class RedemptionRowSerializer(StrictSerializer):
    id = serializers.IntegerField()
    retailer = serializers.IntegerField(source="retailer_id")
    shop = serializers.CharField()
    reward_name = serializers.CharField()
    quantity = serializers.IntegerField()
    points = serializers.IntegerField()


class TierChangeRowSerializer(StrictSerializer):
    id = serializers.IntegerField()
    retailer = serializers.IntegerField(source="retailer_id")
    shop = serializers.CharField()
    from_tier = serializers.IntegerField(allow_null=True)
    to_tier = serializers.IntegerField()
    reason = serializers.CharField(allow_blank=True)


class ApprovalsSerializer(StrictSerializer):
    redemptions = RedemptionRowSerializer(many=True, help_text="empty unless the caller may approve them")
    tier_changes = TierChangeRowSerializer(many=True, help_text="empty unless the caller may approve them")


class AllocationRowSerializer(StrictSerializer):
    plan = serializers.IntegerField(source="plan_id")
    product = serializers.CharField()
    cycle_start = serializers.DateField()
    cycle_end = serializers.DateField()
    shops = serializers.IntegerField(help_text="the caller's shops allowed cartons")
    cartons = serializers.IntegerField()


class WorkspaceSerializer(StrictSerializer):
    today = serializers.DateField()
    visits = VisitsSerializer()
    complaints = ComplaintRowSerializer(many=True, help_text="open cases assigned to the caller (≤ 8)")
    callbacks = CallbackSerializer(many=True, help_text="shops to call back after a low rating (≤ 8)")
    licences = LicencesSerializer()
    at_risk = AtRiskSerializer(many=True, help_text="high-value shops at risk of leaving (≤ 8)")
    approvals = ApprovalsSerializer()
    allocations = AllocationRowSerializer(
        many=True, help_text="this cycle's and next week's allocation plans"
    )


def workspace_data(ws) -> dict:
    """The selector's Workspace in the API's shape (nothing read beyond it)."""
    return {
        "today": ws.today,
        "visits": {"planned_today": ws.planned_today, "done_today": ws.done_today, "next": ws.next_visits},
        "complaints": ws.complaints,
        "callbacks": ws.callbacks,
        "licences": {
            "expiring_count": ws.licence_counts["expiring"],
            "expired_count": ws.licence_counts["expired"],
            "expiring": ws.expiring,
            "expired": ws.expired,
        },
        "at_risk": ws.at_risk,
        "approvals": {"redemptions": ws.redemptions, "tier_changes": ws.tier_changes},
        "allocations": ws.allocations,
    }


class WorkspaceView(APIView):
    """The caller's workspace (customer managers only; 403 for other roles): today's visits and the next shops,
    complaints assigned, call-backs (phone masked), licences expiring and supply stopped, high-value shops at risk,
    approvals waiting, this cycle's allocations — the sections of the home page, from the same three queries."""

    permission_classes = [IsCustomerManager]

    @extend_schema(responses=WorkspaceSerializer, operation_id="workspace_retrieve")
    def get(self, request):
        ws = manager_workspace(manager=request.user)
        return Response(WorkspaceSerializer(workspace_data(ws)).data)
