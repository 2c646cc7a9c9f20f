"""The OpenAPI schema class of the API (settings.REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]): what every operation
shares is documented here once, from what the code does, so no viewset can forget it: the error answers and
their body, and the Idempotency-Key of the creating POSTs."""

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from core.conditional import IF_MATCH_PARAMETER
from core.idempotency import IDEMPOTENCY_PARAMETER

ERROR = ResolvedComponent(
    name="Error",
    type=ResolvedComponent.SCHEMA,
    object="Error",
    schema={
        "type": "object",
        "description": "Every 4xx answer except a refused input: one message.",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
)
VALIDATION_ERROR = ResolvedComponent(
    name="ValidationError",
    type=ResolvedComponent.SCHEMA,
    object="ValidationError",
    schema={
        "type": "object",
        "description": "A refused input (400): each refused field (body or query parameter) with its messages, "
        "`non_field_errors` for the input as a whole, or `detail` for a body that could not be read.",
        "properties": {
            "detail": {"type": "string"},
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": {},
    },
)

ERROR_DESCRIPTIONS = {
    "400": "The input is refused (a field, a query parameter, an unknown one, or the Idempotency-Key).",
    "401": "No or a wrong credential (header `WWW-Authenticate: Token`).",
    "403": "The caller's role may not do this.",
    "404": "No such object in the caller's territory (named in the path, a filter or the body).",
    "409": "The request clashes with the current state, or its Idempotency-Key was used for another request.",
    "412": "`If-Match` names another version than the current one (someone changed it since).",
    "415": "The body's content type is not accepted here.",
    "429": "Too many requests; retry later.",
}


# What DRF writes for a time ("21:00:00"): OpenAPI's `format: time` is RFC 3339's full-time, with an offset.
TIME_SCHEMA = {"type": "string", "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", "example": "21:00:00"}


def _model_field(field):
    """The model field a serializer field shows (the first step of a dotted source), if any."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not field.source or field.source == "*":
        return None
    try:
        return model._meta.get_field(field.source.split(".")[0])
    except FieldDoesNotExist:
        return None


class ApiSchema(AutoSchema):
    """A view whose `list` answers one object (a report) sets `list_is_one_object = True`."""

    def _is_list_view(self, serializer=None):
        if getattr(self.view, "list_is_one_object", False):
            return False
        return super()._is_list_view(serializer)

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField):
            schema = dict(TIME_SCHEMA)
        else:
            schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "response" or not field.read_only or not schema:
            return schema
        # A read-only field loses allow_blank/allow_null in DRF; what it shows is still what the model holds:
        # "" from a blank field, null from a null one (or from a dotted source through a null relation).
        model_field = _model_field(field)
        dotted = "." in (field.source or "")
        nullable = field.default is None or bool(getattr(model_field, "null", False))
        blank = (
            model_field is not None
            and not dotted
            and getattr(model_field, "blank", False)
            and isinstance(field, serializers.ChoiceField)
            and "" not in field.choices
        )
        if blank:
            schema = {"oneOf": [schema, {"type": "string", "enum": [""]}]}
        if nullable and not schema.get("nullable"):
            schema = (
                {**schema, "nullable": True}
                if "$ref" not in schema
                else {"allOf": [schema], "nullable": True}
            )
        return schema

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action, None) if action else None

    def is_idempotent(self) -> bool:
        return self.method == "POST" and getattr(self._handler(), "idempotent", False)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.is_idempotent():
            parameters.append(IDEMPOTENCY_PARAMETER)
        if self.honours_if_match():
            parameters.append(IF_MATCH_PARAMETER)
        return parameters

    def honours_if_match(self) -> bool:
        return self.method in ("PUT", "PATCH") and getattr(self.view, "honours_if_match", False)

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        if str(status_code) == "201":
            headers.setdefault(
                "Location", {"schema": {"type": "string"}, "description": "the URL of what was created"}
            )
            headers.setdefault(
                "ETag",
                {
                    "schema": {"type": "string"},
                    "description": "its version (send it back as If-Match to change it)",
                },
            )
        if self.is_idempotent():
            headers.setdefault(
                "Idempotent-Replayed",
                {"schema": {"type": "string", "enum": ["true"]}, "description": "a repeat: the first answer"},
            )
        return headers

    def error_codes(self) -> list[str]:
        # 400: any operation refuses an unknown query parameter; 404: an object named in the path, a filter or the
        # body is not in the caller's territory (indistinguishable from a missing one)
        codes = ["400", "401", "403", "404", "429"]
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ["409", "415"]
        if self.honours_if_match():
            codes.append("412")
        return sorted(set(codes))

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        self.registry.register_on_missing(ERROR)
        self.registry.register_on_missing(VALIDATION_ERROR)
        for code in self.error_codes():
            component = VALIDATION_ERROR if code == "400" else ERROR
            responses.setdefault(
                code,
                {
                    "description": ERROR_DESCRIPTIONS[code],
                    "content": {"application/json": {"schema": component.ref}},
                },
            )
        return responses
