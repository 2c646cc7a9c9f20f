"""REST API for complaints: /api/v1/complaints/ (list with the UI's filters and a cursor, create, retrieve with the
timeline, workflow actions answering 409 when the state refuses them, notes, photos), complaint categories.
Scoped like the pages: another territory's case answers 404. The caller's notifications, hidden complaints and the
report have their own modules (feedback.complaints.{notifications,hidden,reports}.api)."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.permissions import needs
from feedback.appeals.models import TIER_APPEAL_CATEGORY
from feedback.complaints import selectors
from feedback.complaints.models import Complaint, Priority
from feedback.complaints.selectors import assignee_choices
from feedback.complaints.serializers import (
    AssignSerializer,
    CategorySerializer,
    ComplaintCreateSerializer,
    ComplaintDetailSerializer,
    ComplaintEventSerializer,
    ComplaintSerializer,
    NoteSerializer,
    PhotoSerializer,
    PhotoUploadSerializer,
    ReopenSerializer,
    ResolveSerializer,
    SupervisorCallSerializer,
    VersionSerializer,
)
from feedback.complaints.services.follow_up import complaint_supervisor_call_record
from feedback.complaints.services.intake import complaint_open
from feedback.complaints.services.photos import complaint_photo_add
from feedback.complaints.services.routing import complaint_assign
from feedback.complaints.services.workflow import (
    complaint_close,
    complaint_note_add,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
)


class NewestOpenedFirst(CursorPage):
    ordering = ("-opened_at", "-id")


FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="shop name, customer code, id or text"),
    OpenApiParameter("status", OpenApiTypes.STR, description="a status, or 'open'"),
    OpenApiParameter("category", OpenApiTypes.STR, description="category code"),
    OpenApiParameter("priority", OpenApiTypes.STR, enum=[p for p, _l in Priority.choices]),
    OpenApiParameter("channel", OpenApiTypes.STR, enum=[c for c, _l in Complaint.Channel.choices]),
    OpenApiParameter("assignee", OpenApiTypes.STR, description="a user id, 'me' or 'none'"),
    OpenApiParameter("overdue", OpenApiTypes.BOOL),
    OpenApiParameter(
        "needs_call",
        OpenApiTypes.BOOL,
        description=f"rated ≤ {Complaint.LOW_RATING_MAX}, waiting for a supervisor's call",
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
        if data["category"] == TIER_APPEAL_CATEGORY:  # an appeal records its tier: feedback.appeals.services
            raise serializers.ValidationError({"category": [_("档位异议由零售户在其页面提交。")]})
        retailer = retailer_get(user=request.user, retailer_id=data["retailer"])
        complaint = complaint_open(
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
            complaint_assign(
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
            lambda c, d: complaint_start(complaint=c, actor=request.user, expected_version=d.get("version")),
        )

    @extend_schema(request=ResolveSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        return self._step(
            request,
            ResolveSerializer,
            lambda c, d: complaint_resolve(
                complaint=c, actor=request.user, resolution=d["resolution"], expected_version=d.get("version")
            ),
        )

    @extend_schema(request=VersionSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(
            request,
            VersionSerializer,
            lambda c, d: complaint_close(complaint=c, actor=request.user, expected_version=d.get("version")),
        )

    @extend_schema(request=ReopenSerializer, responses=ComplaintSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._step(
            request,
            ReopenSerializer,
            lambda c, d: complaint_reopen(
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
            lambda c, d: complaint_supervisor_call_record(complaint=c, actor=request.user, note=d["note"]),
        )

    @extend_schema(request=NoteSerializer, responses={201: ComplaintEventSerializer})
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = complaint_note_add(
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
        photo = complaint_photo_add(
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
