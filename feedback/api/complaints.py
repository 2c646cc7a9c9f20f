"""REST API for complaints: /api/v1/complaints/ (list with the UI's filters and a cursor, create, retrieve with the
timeline, workflow actions answering 409 when the state refuses them, notes, photos), complaint categories,
the caller's notifications, hidden complaints and the report. Scoped like the pages: another territory's case
answers 404."""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from feedback import selectors, services
from feedback.hidden_reasons import hidden_reason_sources
from feedback.models import (
    TIER_APPEAL_CATEGORY,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintPhoto,
    HiddenComplaintCall,
    Notification,
)
from feedback.models.complaints import Priority
from feedback.selectors.complaint_reports import REPORT_YEARS, ReportFilters, complaint_report
from feedback.selectors.complaints import assignee_choices
from feedback.selectors.hidden_complaints import hidden_complaints
from sales.models import Order, Product
from users.models import OrgUnit
from users.serializers import user_ref

BIGINT_MAX = 2**63 - 1


def needs(*perms: str) -> type[permissions.BasePermission]:
    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return HasPerms


class NewestOpenedFirst(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-opened_at", "-id")


class NewestFirst(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = ("-created_at", "-id")


# ---- serializers ---------------------------------------------------------------------------------------------------
class CategorySerializer(StrictModelSerializer):
    class Meta:
        model = ComplaintCategory
        fields = [
            "code",
            "name",
            "response_hours",
            "resolution_hours",
            "same_day_dispatch",
            "default_priority",
            "routing",
            "queue_unit",
        ]


class ComplaintEventSerializer(StrictModelSerializer):
    actor = user_ref()
    text = serializers.CharField(
        source="text_display",
        read_only=True,
        help_text="the line in the caller's language (Accept-Language): a system-written one is worded from its "
        "code, a person's note is given as written",
    )

    class Meta:
        model = ComplaintEvent
        fields = ["id", "kind", "at", "actor", "from_status", "to_status", "text", "is_internal"]


class PhotoSerializer(StrictModelSerializer):
    url = serializers.SerializerMethodField(
        help_text="where a signed-in user who may see the case gets the file"
    )

    class Meta:
        model = ComplaintPhoto
        fields = ["id", "url", "content_type", "size", "uploaded_at"]

    def get_url(self, obj) -> str:
        return reverse("feedback:complaint-photo", args=[obj.complaint_id, obj.pk])


class ComplaintSerializer(StrictModelSerializer):
    customer_manager = user_ref()
    assignee = user_ref()
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    deadline_note = serializers.CharField(
        source="deadline_note_display", read_only=True, help_text="in the caller's language"
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "retailer",
            "category",
            "kind",
            "channel",
            "priority",
            "status",
            "description",
            "product",
            "order",
            "customer_manager",
            "assignee",
            "queue_unit",
            "visit_ref",
            "opened_at",
            "response_due",
            "resolution_due",
            "deadline_note",
            "deadlines_provisional",
            "responded_at",
            "resolved_at",
            "closed_at",
            "resolution",
            "reopen_count",
            "version",
            "follow_up",
            "follow_up_at",
            "rating",
            "rating_comment",
            "rated_at",
            "needs_supervisor_call",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_is_overdue(self, obj) -> bool:
        now = timezone.now()
        if obj.status not in Complaint.OPEN_STATUSES:
            return False
        late_response = (
            obj.status in Complaint.AWAITING_RESPONSE
            and obj.responded_at is None
            and obj.response_due is not None
            and obj.response_due < now
        )
        return late_response or (obj.resolution_due is not None and obj.resolution_due < now)


class ComplaintDetailSerializer(ComplaintSerializer):
    customer_manager = user_ref()
    assignee = user_ref()
    events = ComplaintEventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "events", "photos"]
        read_only_fields = fields


class ComplaintCreateSerializer(StrictSerializer):
    retailer = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)
    category = serializers.CharField(max_length=30, help_text="a category code, see /complaint-categories/")
    channel = serializers.ChoiceField(choices=Complaint.Channel.choices)
    kind = serializers.ChoiceField(choices=Complaint.Kind.choices, default=Complaint.Kind.COMPLAINT)
    description = serializers.CharField(max_length=2000)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_null=True)
    visit_ref = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True, help_text="a product id"
    )
    order = serializers.PrimaryKeyRelatedField(
        queryset=Order.objects.all(), required=False, allow_null=True, help_text="an order of this retailer"
    )


class VersionSerializer(StrictSerializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=BIGINT_MAX,
        help_text="the version you read; a stale one answers 409 instead of overwriting",
    )


class AssignSerializer(VersionSerializer):
    assignee = serializers.IntegerField(min_value=1, max_value=BIGINT_MAX)


class ResolveSerializer(VersionSerializer):
    resolution = serializers.CharField(max_length=2000)


class ReopenSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=500)


class NoteSerializer(StrictSerializer):
    text = serializers.CharField(max_length=2000)
    internal = serializers.BooleanField(default=True)


class SupervisorCallSerializer(StrictSerializer):
    note = serializers.CharField(max_length=1900)


class PhotoUploadSerializer(StrictSerializer):
    photo = serializers.FileField()


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="shop name, customer code, id or text"),
    OpenApiParameter("status", OpenApiTypes.STR, description="a status, or 'open'"),
    OpenApiParameter("category", OpenApiTypes.STR, description="category code"),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=[p for p, _l in Priority.choices]),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=[c for c, _l in Complaint.Channel.choices]),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="a user id, 'me' or 'none'"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter(
        "needs_call", OpenApiTypes.BOOL, description="rated ≤ 2, waiting for a supervisor's call"
    ),
    OpenApiParameter("retailer", OpenApiTypes.INT),
    OpenApiParameter("unit", OpenApiTypes.INT, description="org unit id: its subtree's retailers"),
    OpenApiParameter("manager", OpenApiTypes.INT, description="the retailers' customer manager (user id)"),
]


# ---- complaints ------------------------------------------------------------------------------------------------
class ComplaintViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    idempotent_actions = ("notes", "photos")
    pagination_class = NewestOpenedFirst
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"\d+"
    queryset = Complaint.objects.none()

    def get_permissions(self):
        if self.action == "create":
            return [needs("feedback.add_complaint")()]
        if self.action in ("list", "retrieve"):
            return [needs("feedback.view_complaint")()]
        return [needs("feedback.change_complaint")()]

    def get_serializer_class(self):
        return ComplaintDetailSerializer if self.action == "retrieve" else ComplaintSerializer

    def get_queryset(self):
        if self.action == "list":
            keys = (
                "q",
                "status",
                "category",
                "priority",
                "channel",
                "assignee",
                "overdue",
                "needs_call",
                "retailer",
                "unit",
                "manager",
            )
            return selectors.complaint_list(
                user=self.request.user, filters={k: self.request.query_params.get(k, "") for k in keys}
            )
        return selectors.complaint_scope(user=self.request.user).select_related("category")

    def get_object(self):
        return selectors.complaint_get(user=self.request.user, complaint_id=self.kwargs["pk"])

    @extend_schema(parameters=FILTER_PARAMETERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        complaint = self.get_object()
        complaint = (
            Complaint.objects.filter(pk=complaint.pk)
            .select_related("category")
            .prefetch_related("events__actor", "photos")
            .get()
        )
        return Response(ComplaintDetailSerializer(complaint, context={"request": request}).data)

    @extend_schema(request=ComplaintCreateSerializer, responses={201: ComplaintSerializer})
    def create(self, request, *args, **kwargs):
        body = ComplaintCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if (
            data["category"] == TIER_APPEAL_CATEGORY
        ):  # an appeal records its tier: feedback.services.tier_appeals
            raise serializers.ValidationError({"category": [_("档位异议由零售户在其页面提交。")]})
        retailer = retailer_get(user=request.user, retailer_id=data["retailer"])
        complaint = services.complaint_open(
            retailer=retailer,
            category_code=data["category"],
            description=data["description"],
            channel=data["channel"],
            kind=data["kind"],
            priority=data.get("priority") or None,
            visit_ref=data.get("visit_ref", ""),
            product=data.get("product"),
            order=data.get("order"),
            actor=request.user,
        )
        return Response(ComplaintSerializer(complaint).data, status=status.HTTP_201_CREATED)

    def _step(self, request, serializer_class, run):
        body = serializer_class(data=request.data)
        body.is_valid(raise_exception=True)
        complaint = self.get_object()
        run(complaint, body.validated_data)
        complaint = selectors.complaint_get(user=request.user, complaint_id=complaint.pk)
        return Response(ComplaintSerializer(complaint).data)

    @extend_schema(request=AssignSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        def run(complaint, data):
            assignee = get_object_or_404(assignee_choices(complaint=complaint), pk=data["assignee"])
            services.complaint_assign(
                complaint=complaint,
                assignee=assignee,
                actor=request.user,
                expected_version=data.get("version"),
            )

        return self._step(request, AssignSerializer, run)

    @extend_schema(request=VersionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._step(
            request,
            VersionSerializer,
            lambda c, d: services.complaint_start(
                complaint=c, actor=request.user, expected_version=d.get("version")
            ),
        )

    @extend_schema(request=ResolveSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._step(
            request,
            ResolveSerializer,
            lambda c, d: services.complaint_resolve(
                complaint=c, actor=request.user, resolution=d["resolution"], expected_version=d.get("version")
            ),
        )

    @extend_schema(request=VersionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(
            request,
            VersionSerializer,
            lambda c, d: services.complaint_close(
                complaint=c, actor=request.user, expected_version=d.get("version")
            ),
        )

    @extend_schema(request=ReopenSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step(
            request,
            ReopenSerializer,
            lambda c, d: services.complaint_reopen(
                complaint=c, actor=request.user, reason=d["reason"], expected_version=d.get("version")
            ),
        )

    @extend_schema(request=SupervisorCallSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"], url_path="supervisor-call")
    def supervisor_call(self, request, pk=None):
        """A supervisor records the call made about a low rating (clears needs_supervisor_call)."""
        if not (request.user.is_company_admin or request.user.role == "supervisor"):
            raise PermissionDenied
        return self._step(
            request,
            SupervisorCallSerializer,
            lambda c, d: services.complaint_supervisor_call_record(
                complaint=c, actor=request.user, note=d["note"]
            ),
        )

    @extend_schema(request=NoteSerializer, responses={201: ComplaintEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = services.complaint_note_add(
            complaint=self.get_object(),
            actor=request.user,
            text=body.validated_data["text"],
            internal=body.validated_data["internal"],
        )
        return Response(ComplaintEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request={"multipart/form-data": PhotoUploadSerializer}, responses={201: PhotoSerializer})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photos(self, request, pk=None):
        body = PhotoUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        photo = services.complaint_photo_add(
            complaint=self.get_object(), actor=request.user, photo=body.validated_data["photo"]
        )
        return Response(
            PhotoSerializer(photo, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class ComplaintCategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    permission_classes = [needs("feedback.view_complaintcategory")]
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"  # a slug (the project's router takes digits only by default)
    pagination_class = None

    def get_queryset(self):
        return selectors.categories_active()


# ---- notifications ------------------------------------------------------------------------------------------------
class NotificationSerializer(StrictModelSerializer):
    text = serializers.CharField(
        source="text_display", read_only=True, help_text="the notification in the caller's language"
    )

    class Meta:
        model = Notification
        fields = ["id", "kind", "complaint", "text", "created_at", "read_at"]


class MarkReadSerializer(StrictSerializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="which to mark read; all unread when omitted",
    )


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The caller's own in-app notifications, newest first."""

    serializer_class = NotificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = NewestFirst

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("1", "true")
        return selectors.notification_list(user=self.request.user, unread_only=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=MarkReadSerializer,
        responses=inline_serializer("MarkReadResult", {"marked": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request):
        body = MarkReadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user=request.user, notification_ids=body.validated_data.get("ids")
        )
        return Response({"marked": marked})


# ---- hidden complaints and the report -------------------------------------------------------------------------------
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
    """Retailers to call: orders fell sharply or rated low, and filed nothing since (see feedback.hidden_reasons)."""

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
        call = services.hidden_complaint_call_record(
            retailer=retailer, user=request.user, **body.validated_data
        )
        return Response(HiddenCallSerializer(call).data, status=status.HTTP_201_CREATED)


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
