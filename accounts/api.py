"""REST API for retailers: /api/v1/retailers/ — the same scoping, validation and masking as the pages."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField

from accounts.filters import RetailerFilter
from accounts.models import Retailer, SensitiveAccess
from accounts.parsers import mask_mobile, mask_tail
from accounts.selectors import retailer_scope
from accounts.services import (
    EDITABLE_FIELDS,
    retailer_create,
    retailer_update,
    sensitive_access_log_many,
    sensitive_may_reveal,
)
from core.idempotency import IdempotentCreateMixin
from core.pagination import CursorPage


class RetailerCursorPagination(CursorPage):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"
    ordering = "-id"


class RetailerSerializer(serializers.ModelSerializer):
    route_code = serializers.CharField(source="route.code", read_only=True, default=None)
    manager = serializers.CharField(source="route.manager.username", read_only=True, default=None)
    licence_days_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Retailer
        fields = [
            "id",
            *EDITABLE_FIELDS,
            "class_code",
            "route_code",
            "manager",
            "licence_days_left",
            "sms_consent",
            "sms_consent_at",
            "sms_consent_source",
            "email_consent",
            "email_consent_at",
            "email_consent_source",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "class_code",
            "sms_consent",
            "sms_consent_at",
            "sms_consent_source",
            "email_consent",
            "email_consent_at",
            "email_consent_source",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "licence_no": {"max_length": 14, "validators": []},
            "customer_code": {"validators": []},
            "mobile": {"max_length": 20},
            "owner_id_number": {"max_length": 20},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["org_unit"].queryset = _visible_units(request.user)
            self.fields["route"].queryset = _visible_routes(request.user)

    def to_representation(self, instance):
        data = self._fields_to_representation(instance)
        flags = self.context.get("reveal", {})
        if not flags.get("mobile"):
            data["mobile"] = mask_mobile(data["mobile"])
        if not flags.get("identity"):
            data["owner_id_number"] = mask_tail(data["owner_id_number"])
            data["bank_account"] = mask_tail(data["bank_account"])
        return data

    def _fields_to_representation(self, instance) -> dict:
        """DRF's Serializer.to_representation, with the per-field work decided once per serializer rather than
        once per field of every row: a plain model attribute is read directly and handed to the field's own
        to_representation, a related id is the `<name>_id` column (what DRF's PKOnlyObject carries); any other
        field goes through DRF's usual get_attribute. Same output, a fraction of the time for a 50-row page."""
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            plan = self._read_plan = [_read_step(field, self.Meta.model) for field in self._readable_fields]
        data = {}
        for name, kind, attname, field in plan:
            if kind == "id":
                data[name] = getattr(instance, attname)
                continue
            if kind == "attr":
                value = getattr(instance, attname)
            else:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject) and value.pk is None:
                    value = None
            data[name] = None if value is None else field.to_representation(value)
        return data

    def create(self, validated_data):
        return _call_service(lambda: retailer_create(actor=self.context["request"].user, data=validated_data))

    def update(self, instance, validated_data):
        request = self.context["request"]
        return _call_service(
            lambda: retailer_update(
                actor=request.user,
                retailer=instance,
                data=validated_data,
                expected_updated_at=_if_match(request),
            )
        )


def _read_step(field, model) -> tuple[str, str, str | None, object]:
    """How `_fields_to_representation` reads one field: ("id" | "attr" | "field", name, attribute, field)."""
    source = field.source_attrs[0] if len(field.source_attrs) == 1 else None
    if (
        isinstance(field, PrimaryKeyRelatedField)
        and source
        and field.pk_field is None
        and field.use_pk_only_optimization()
    ):
        return (field.field_name, "id", model._meta.get_field(source).attname, field)
    plain = (
        source
        and source != "*"
        and type(field).get_attribute is serializers.Field.get_attribute  # e.g. not ModelField's
        and not isinstance(field, (RelatedField, serializers.ManyRelatedField, serializers.BaseSerializer))
        and not callable(getattr(model, source, None))
    )
    return (field.field_name, "attr" if plain else "field", source if plain else None, field)


def _if_match(request):
    """An If-Match header with the record's version (its ETag, the updated_at timestamp) makes a stale write a
    409 instead of silently overwriting someone else's change."""
    import datetime

    header = request.headers.get("If-Match", "").strip().strip('"').removeprefix('W/"')
    if not header or header == "*":
        return None
    try:
        return datetime.datetime.fromisoformat(header)
    except ValueError as exc:
        raise ValidationError({"If-Match": ["应为该记录的 ETag（更新时间）。"]}) from exc


def _visible_units(user):
    from users.selectors import org_units_visible

    return org_units_visible(user=user)


def _visible_routes(user):
    from users.selectors import routes_visible

    return routes_visible(user=user)


def _call_service(call):
    try:
        return call()
    except DjangoValidationError as exc:
        raise ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        ) from exc


@extend_schema_view(
    list=extend_schema(summary="List retailers in the caller's territory (cursor-paginated, filterable)"),
    retrieve=extend_schema(summary="One retailer; 404 outside the caller's territory"),
    create=extend_schema(summary="Create a retailer (validated like the form)"),
    update=extend_schema(summary="Replace a retailer's editable fields"),
    partial_update=extend_schema(summary="Change some of a retailer's fields"),
)
class RetailerViewSet(
    IdempotentCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RetailerSerializer
    pagination_class = RetailerCursorPagination
    filterset_class = RetailerFilter

    def get_queryset(self):
        if self.action == "list":
            # a list row shows org_unit as its id only: joining the org unit would fetch what no one reads
            return retailer_scope(user=self.request.user).select_related("route__manager")
        return retailer_scope(user=self.request.user).select_related("route__manager", "org_unit")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        if user.is_authenticated:
            context["reveal"] = {
                "mobile": sensitive_may_reveal(user=user, field=SensitiveAccess.Field.MOBILE),
                "identity": sensitive_may_reveal(user=user, field=SensitiveAccess.Field.ID_NUMBER),
            }
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if self.detail and response.status_code < 300 and isinstance(data, dict) and data.get("updated_at"):
            response["ETag"] = f'"{data["updated_at"]}"'

        self._log_unmasked(request, response)
        return response

    def _log_unmasked(self, request, response):
        """Every unmasked value an API response carries is logged (who, which retailer, which field)."""
        if response.status_code >= 400 or not request.user.is_authenticated or not hasattr(response, "data"):
            return
        data = response.data
        rows = data.get("results", [data]) if isinstance(data, dict) else []
        ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
        if not ids:
            return
        flags = self.get_serializer_context().get("reveal", {})
        fields = []
        if flags.get("mobile"):
            fields.append(SensitiveAccess.Field.MOBILE)
        if flags.get("identity"):
            fields += [SensitiveAccess.Field.ID_NUMBER, SensitiveAccess.Field.BANK_ACCOUNT]
        if fields:
            sensitive_access_log_many(
                user=request.user,
                retailer_ids=ids,
                fields=fields,
                via=SensitiveAccess.Via.API,
                ip_address=request.META.get("REMOTE_ADDR"),
            )
