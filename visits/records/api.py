"""REST API of visits: the caller's shops' visits, newest first; create with an idempotency key; a supervisor's
review of a doubtful one. Scoped like the pages (another territory answers 404)."""

import uuid

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import retailer_get
from core.errors import ConflictError
from core.idempotency import IdempotentCreateMixin
from core.pagination import NewestFirst
from core.permissions import needs
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.serializers import user_ref
from visits import selectors
from visits.http import MAX_ID, drf_error
from visits.models import Visit
from visits.records.services import VisitInput, visit_record
from visits.trust.reasons import reason_text
from visits.trust.services import visit_review


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
            visit_review(
                actor=request.user,
                visit=visit,
                accept=body.validated_data["decision"] == "accept",
                reason=body.validated_data["reason"],
            )
        except ValidationError as exc:
            raise drf_error(exc) from exc
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
            visit, _created = visit_record(
                actor=request.user,
                retailer=retailer,
                idempotency_key=uuid.uuid4(),  # the API's retries are answered by the Idempotency-Key header
                data=body.visit_input(),
                photos=request.FILES.getlist("photos"),
            )
        except ValidationError as exc:
            raise drf_error(exc) from exc
        except ConflictError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        visit = self.get_queryset().get(pk=visit.pk)
        return Response(
            VisitSerializer(visit, context={"request": request}).data, status=status.HTTP_201_CREATED
        )
