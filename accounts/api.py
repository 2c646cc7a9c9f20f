"""REST API for retailers: /api/v1/retailers/ — the same scoping, validation and masking as the pages."""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.response import Response

from accounts.filters import RetailerFilter
from accounts.models import Retailer, SensitiveAccess
from accounts.selectors import retailer_scope
from accounts.sensitive import sensitive_reveal
from accounts.services import EDITABLE_FIELDS, LOCKED_FIELDS, retailer_create, retailer_update
from core.conditional import if_match_version
from core.idempotency import IdempotentCreateMixin
from core.masking import PERSONAL_FIELDS, mask_personal, mask_personal_fields, may_reveal
from core.pagination import NewestFirst
from core.serializers import ModelSerializer as StrictModelSerializer
from core.serializers import Serializer as StrictSerializer
from users.serializers import user_ref


class RevealSerializer(StrictSerializer):
    field = serializers.ChoiceField(choices=SensitiveAccess.Field.choices)


class RevealedSerializer(StrictSerializer):
    field = serializers.CharField()
    value = serializers.CharField()


class RetailerSerializer(StrictModelSerializer):
    route_code = serializers.CharField(source="route.code", read_only=True, default=None)
    manager = user_ref(source="route.manager")
    licence_days_left = serializers.IntegerField(read_only=True)

    class Meta:
        model = Retailer
        fields = [
            "id",
            *EDITABLE_FIELDS,
            *LOCKED_FIELDS,
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
            # writable so that a new value is refused with where it is changed (400), not silently ignored
            "tier": {
                "help_text": "On creation: the starting tier (at most the tier rule's cap for new retailers). "
                "Afterwards read-only: the current value sent back is no change, another is a 400 — tiers change "
                "through a published tier proposal or an approved /api/v1/tier-changes/ request."
            },
            "credit_grade": {
                "help_text": "Read-only: set by the credit rule from the violations. The current value sent back "
                "is no change; another is a 400."
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["org_unit"].queryset = _unit_scope(request.user)
            self.fields["route"].queryset = _route_scope(request.user)

    def to_representation(self, instance):
        # personal fields masked for every role, as on the pages; a full value is POST …/reveal/ (logged)
        return mask_personal_fields(self._fields_to_representation(instance))

    def to_internal_value(self, data):
        return super().to_internal_value(self._masked_input(data))

    def _masked_input(self, data):
        """What a body says about a personal field: its masked value sent back unchanged (a GET followed by a PUT
        of the same body) means "unchanged" and stands for the stored value; a new value is taken only from who may reveal that
        field (core.masking), as the edit page offers it only to them."""
        if self.instance is None or not hasattr(data, "keys"):
            return data
        request = self.context.get("request")
        data = data.copy()
        errors = {}
        for name in PERSONAL_FIELDS:
            if name not in data:
                continue
            current = getattr(self.instance, name) or ""
            if data[name] in (mask_personal(name, current), current) or (data[name] is None and not current):
                data[name] = current  # unchanged (and still there for a PUT, where the field is required)
            elif request is None or not may_reveal(user=request.user, field=name):
                errors[name] = [_("您无权查看该字段，因此也不能修改；原样发回掩码值表示不修改。")]
        if errors:
            raise ValidationError(errors)
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
                expected_updated_at=if_match_version(request),
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


# --- the list's rows without a model instance per row ------------------------------------------------------
# A list page is RetailerSerializer's output for each row, built from the row's columns (values()): a field whose
# to_representation gives back a database value unchanged (text, choices, integers, booleans, ids) costs nothing
# per row; dates, times and decimals still go through their own field's to_representation, and every row through
# mask_personal_fields, as RetailerSerializer.to_representation does. tests/accounts/test_list_fast_paths.py
# compares the two outputs; a field this cannot read raises here rather than being written differently.
_UNCHANGED = (
    serializers.CharField,  # EmailField too
    serializers.ChoiceField,  # the database holds the choices' own values
    serializers.IntegerField,
    serializers.BooleanField,
)
# fields that are model properties: their columns and how the property computes them
_COMPUTED = {"licence_days_left": (("licence_expires_on",), Retailer.days_left)}


@dataclass(frozen=True)
class _ListField:
    name: str
    columns: tuple[str, ...]  # what values() reads
    read: Callable[[dict], object]


@functools.cache
def _list_fields() -> tuple[_ListField, ...]:
    serializer = RetailerSerializer()  # no request: the fields only write values, they read no context
    return tuple(_list_field(field) for field in serializer._readable_fields)


def _list_field(field) -> _ListField:
    name, source = field.field_name, field.source
    if name in _COMPUTED:
        columns, compute = _COMPUTED[name]
        return _ListField(name, columns, lambda row: compute(*(row[c] for c in columns)))
    column = source.replace(".", "__")
    if isinstance(
        field, serializers.BaseSerializer
    ):  # a nested object (the route's manager): null or its fields
        parts = [(sub.field_name, f"{column}__{sub.source}") for sub in field._readable_fields]
        if any(not isinstance(sub, _UNCHANGED) for sub in field._readable_fields):
            raise ValueError(f"{name}: a nested field that is not written as read")
        key = parts[0][1]
        return _ListField(
            name,
            tuple(c for _n, c in parts),
            lambda row: None if row[key] is None else {n: row[c] for n, c in parts},
        )
    if isinstance(field, PrimaryKeyRelatedField) and field.pk_field is None:
        return _ListField(name, (column,), lambda row: row[column])  # values() reads a foreign key as its id
    if isinstance(field, serializers.ModelField):  # a generated text column (class_code)
        output = getattr(field.model_field, "output_field", field.model_field)
        if output.get_internal_type() not in ("CharField", "TextField"):
            raise ValueError(f"{name}: a model field that is not text")
        return _ListField(name, (column,), lambda row: row[column])
    if isinstance(field, _UNCHANGED):
        return _ListField(name, (column,), lambda row: row[column])
    write = field.to_representation
    if isinstance(field, (serializers.DateField, serializers.DateTimeField, serializers.DecimalField)):
        return _ListField(name, (column,), lambda row: None if row[column] is None else write(row[column]))
    raise ValueError(f"{name}: no list reading for {type(field).__name__}")


def retailer_list_columns() -> list[str]:
    return list(dict.fromkeys(column for field in _list_fields() for column in field.columns))


def retailer_list_rows(rows: list[dict]) -> list[dict]:
    """RetailerSerializer(rows, many=True).data, for rows read as values(*retailer_list_columns())."""
    fields = _list_fields()
    return [mask_personal_fields({field.name: field.read(row) for field in fields}) for row in rows]


def _unit_scope(user):
    from users.selectors import org_units_visible

    return org_units_visible(user=user)


def _route_scope(user):
    from users.selectors import route_scope

    return route_scope(user=user)


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
    pagination_class = NewestFirst
    honours_if_match = True
    filterset_class = RetailerFilter

    def get_queryset(self):
        if self.action == "list":
            return retailer_scope(user=self.request.user)  # read as values: see list()
        return retailer_scope(user=self.request.user).select_related("route__manager", "org_unit")

    def list(self, request, *args, **kwargs):
        # the serializer's JSON for a page, built from the page's columns read as values (retailer_list_rows); a
        # comment, not a docstring, which the schema would publish as the operation's description
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset.values(*retailer_list_columns()))
        return self.get_paginated_response(retailer_list_rows(page))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        data = getattr(response, "data", None)
        if self.detail and response.status_code < 300 and isinstance(data, dict) and data.get("updated_at"):
            response["ETag"] = f'"{data["updated_at"]}"'
        return response

    @extend_schema(
        summary="Reveal one personal value of a retailer in full (logged; mobile: customer managers and up, ID card "
        "and bank account: admins only)",
        request=RevealSerializer,
        responses={200: RevealedSerializer},
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The API's 显示 button: one field of one retailer in the caller's territory, in full, logged in
        SensitiveAccess like the portrait's reveal (via="api"). 403 for a role that may not see that field."""
        retailer = self.get_object()
        body = RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        field = body.validated_data["field"]
        try:
            value = sensitive_reveal(
                user=request.user,
                retailer=retailer,
                field=field,
                via=SensitiveAccess.Via.API,
                ip_address=request.META.get("REMOTE_ADDR"),
            )
        except DjangoPermissionDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        return Response({"field": field, "value": value})
