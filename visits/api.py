"""REST API for field work under /api/v1/: visit plans, visits (create with an idempotency key), the daily list,
coverage, cultivation programmes with their progress and targets. Scoped like the pages (another territory
answers 404)."""

import datetime
import uuid

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.errors import ConflictError
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.models import OrgUnit, User
from users.serializers import user_ref
from visits import selectors, services
from visits.models import CultivationProgramme, Visit, VisitPlan
from visits.selectors.coverage import coverage, coverage_totals, retailer_intervals
from visits.selectors.cultivation import programme_progress, programme_target_rows
from visits.selectors.daily import daily_list
from visits.services.records import VisitInput
from visits.trust import reason_text


def needs(*perms: str) -> type[permissions.BasePermission]:
    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return HasPerms


def _drf_error(exc: ValidationError) -> DRFValidationError:
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


class NewestFirst(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


# ---- plans ---------------------------------------------------------------------------------------------------
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


# ---- visits --------------------------------------------------------------------------------------------------
MAX_ID = 2**31 - 1


class StockCheckSerializer(StrictSerializer):
    programme = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    in_stock = serializers.BooleanField()


class VisitSerializer(StrictModelSerializer):
    manager = user_ref()
    reviewed_by = user_ref()
    stock_checks = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField(
        help_text="where a signed-in user who may see the visit's retailer gets each photo (media is not public)"
    )
    stamped_photos = serializers.SerializerMethodField(
        help_text="the server-stamped copies (SVG: photo with shop, manager, time and distance)"
    )
    trust_reasons = serializers.SerializerMethodField(
        help_text="why the check-in is doubtful, in words (code and text)"
    )

    class Meta:
        model = Visit
        fields = [
            "id",
            "idempotency_key",
            "retailer",
            "manager",
            "route",
            "visited_on",
            "checked_in_at",
            "latitude",
            "longitude",
            "accuracy_m",
            "distance_m",
            "location_flag",
            "no_location_reason",
            "licence_displayed",
            "minors_sign",
            "price_tags",
            "display_ok",
            "image_rating",
            "notes",
            "next_action",
            "follow_up_on",
            "complaint_ref",
            "stock_checks",
            "photos",
            "stamped_photos",
            "device_time",
            "store_score",
            "trust",
            "trust_reasons",
            "reviewed_by",
            "reviewed_at",
            "review_reason",
            "created_at",
        ]
        read_only_fields = fields

    def get_stock_checks(self, visit) -> list[dict]:
        return [{"programme": c.programme_id, "in_stock": c.in_stock} for c in visit.stock_checks.all()]

    def get_photos(self, visit) -> list[str]:
        return [p.get_absolute_url() for p in visit.photos.all()]

    def get_stamped_photos(self, visit) -> list[str]:
        return [
            reverse("visits:visit-photo-stamped", args=[visit.pk, p.pk])
            for p in visit.photos.all()
            if p.stamped
        ]

    @extend_schema_field(
        inline_serializer(
            "TrustReason", {"code": serializers.CharField(), "text": serializers.CharField()}, many=True
        )
    )
    def get_trust_reasons(self, visit) -> list[dict]:
        return [{"code": r["code"], "text": reason_text(r)} for r in visit.trust_reasons]


class ReviewBodySerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=["accept", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class VisitCreateSerializer(StrictSerializer):
    retailer = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    accuracy_m = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100_000)
    no_location_reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    checked_in_at = serializers.DateTimeField(required=False, allow_null=True)
    device_time = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="the phone's clock when it sends (compared with the server's)",
    )
    licence_displayed = serializers.BooleanField(required=False, allow_null=True, default=None)
    minors_sign = serializers.BooleanField(required=False, allow_null=True, default=None)
    price_tags = serializers.BooleanField(required=False, allow_null=True, default=None)
    display_ok = serializers.BooleanField(required=False, allow_null=True, default=None)
    image_rating = serializers.ChoiceField(choices=Visit.ImageRating.choices, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    next_action = serializers.CharField(required=False, allow_blank=True, max_length=200)
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    stock = StockCheckSerializer(many=True, required=False)
    request_kind = serializers.ChoiceField(
        choices=["complaint", "suggestion"], required=False, default="complaint"
    )
    request_category = serializers.CharField(required=False, allow_blank=True, max_length=40)
    request_text = serializers.CharField(required=False, allow_blank=True, max_length=1000)

    def visit_input(self) -> VisitInput:
        d = self.validated_data
        return VisitInput(
            latitude=d.get("latitude"),
            longitude=d.get("longitude"),
            accuracy_m=d.get("accuracy_m"),
            no_location_reason=d.get("no_location_reason", ""),
            checked_in_at=d.get("checked_in_at"),
            device_time=d.get("device_time"),
            licence_displayed=d.get("licence_displayed"),
            minors_sign=d.get("minors_sign"),
            price_tags=d.get("price_tags"),
            display_ok=d.get("display_ok"),
            image_rating=d.get("image_rating"),
            notes=d.get("notes", ""),
            next_action=d.get("next_action", ""),
            follow_up_on=d.get("follow_up_on"),
            stock={row["programme"]: row["in_stock"] for row in d.get("stock", [])},
            request_kind=d.get("request_kind", "complaint"),
            request_category=d.get("request_category", ""),
            request_text=d.get("request_text", ""),
        )


class VisitViewSet(IdempotentCreateMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Visits to the caller's shops, newest first. POST records one; its `Idempotency-Key` header (as on every
    creating POST, core.idempotency) makes a retried POST return the first answer instead of recording a second.
    (The visit page's offline form posts to the page, not here, and keeps its own key in the form.)"""

    serializer_class = VisitSerializer
    pagination_class = NewestFirst
    filterset_fields = ["retailer", "manager", "location_flag", "visited_on", "trust"]
    lookup_value_regex = "[0-9]+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        perm = {"create": "visits.add_visit", "review": "visits.review_visit"}.get(
            self.action, "visits.view_visit"
        )
        return [needs(perm)()]

    @extend_schema(request=ReviewBodySerializer, responses={200: VisitSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """A supervisor accepts or rejects a doubtful visit (`reason` required to reject); 409 if it is not doubtful
        or is the supervisor's own. The queue is `?trust=doubtful`."""
        visit = self.get_object()
        body = ReviewBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.visit_review(
                actor=request.user,
                visit=visit,
                accept=body.validated_data["decision"] == "accept",
                reason=body.validated_data["reason"],
            )
        except ValidationError as exc:
            raise _drf_error(exc) from exc
        except ConflictError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            VisitSerializer(self.get_queryset().get(pk=visit.pk), context={"request": request}).data
        )

    def get_queryset(self):
        return selectors.visit_list(user=self.request.user).prefetch_related("stock_checks", "photos")

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer})
    def create(self, request, *args, **kwargs):
        body = VisitCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        retailer = retailer_get(user=request.user, retailer_id=body.validated_data["retailer"])
        try:
            visit, _created = services.visit_record(
                actor=request.user,
                retailer=retailer,
                idempotency_key=uuid.uuid4(),  # the API's retries are answered by the Idempotency-Key header
                data=body.visit_input(),
                photos=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            raise _drf_error(exc) from exc
        except ConflictError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(
            VisitSerializer(visit, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


# ---- the daily list ------------------------------------------------------------------------------------------
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
    and its terms are documented in visits.selectors.daily; each entry lists the terms that scored."""

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


# ---- coverage ------------------------------------------------------------------------------------------------
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

    def validate(self, data):
        if data["day_to"] < data["day_from"]:
            raise serializers.ValidationError("day_to before day_from")
        if (data["day_to"] - data["day_from"]).days > 366:
            raise serializers.ValidationError("at most one year")
        return data


class CoverageViewSet(viewsets.ViewSet):
    """Planned vs done per manager and route for `day_from`..`day_to` (definitions in visits.selectors.coverage)."""

    list_is_one_object = True  # the coverage figures, not a list (core.schema)

    permission_classes = [needs("visits.view_coverage")]

    @extend_schema(
        parameters=[
            OpenApiParameter("day_from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("day_to", OpenApiTypes.DATE, required=True),
        ],
        responses=CoverageSerializer,
    )
    def list(self, request):
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        rows = coverage(user=request.user, **period.validated_data)
        intervals = retailer_intervals(user=request.user, **period.validated_data, limit=50)
        return Response(
            CoverageSerializer({"rows": rows, "intervals": intervals, **coverage_totals(rows)}).data
        )


# ---- cultivation ---------------------------------------------------------------------------------------------
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
        return selectors.programme_list(user=self.request.user).order_by("-id")

    def perform_create(self, serializer):
        try:
            serializer.instance = services.programme_create(
                actor=self.request.user, **serializer.validated_data
            )
        except ValidationError as exc:
            raise _drf_error(exc) from exc

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
                added = services.programme_targets_by_rule(programme=programme, actor=request.user)
            else:
                added = services.programme_targets_add(
                    actor=request.user, programme=programme, retailer_ids=body.validated_data["retailers"]
                )
        except ValidationError as exc:
            raise _drf_error(exc) from exc
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
