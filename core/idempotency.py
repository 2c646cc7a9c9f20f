"""One idempotency rule for every POST that creates something (the API's and the loyalty pages').

The caller sends a new random `Idempotency-Key` per intended operation. The first request with a key runs, and
its response (status, body, Location/ETag) is stored with the key and a hash of the request body in the same
transaction. A repeat with the same key and the same body (a retry after a timeout, a double tap) gets the
stored response, marked `Idempotent-Replayed: true`, and changes nothing; the same key with another body or on
another endpoint is refused with 409. A request without a key is refused with 400. Errors the caller can read
(4xx from the operation) are stored too, as a payment API does: a key names one attempt. A server error stores
nothing, so the retry runs again. A concurrent request with the same key waits for the first to commit, then
replays its response.

In the API, a viewset takes `IdempotentCreateMixin`: its `create` and the actions named in
`idempotent_actions` are keyed (tests/crm/test_idempotency.py walks every creating POST of the router).
"""

import datetime
import functools
import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from core.errors import ConflictError, StaleVersionError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100
KEEP_DAYS = 30
REPLAYED_HEADER = "Idempotent-Replayed"
STORED_HEADERS = ("Location", "ETag")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "A new random key (1–100 characters, e.g. a UUID) per intended operation. A retry with the same key and "
        "body gets the first response (header `Idempotent-Replayed: true`) and changes nothing; the same key with "
        "another body or on another endpoint is refused with 409; a request without a key with 400. Keys are "
        f"kept {KEEP_DAYS} days."
    ),
)


class IdempotencyKeyReusedError(ConflictError):
    """The key was used before for another request (another endpoint or body)."""


def _canonical(value):
    """The body as plain data for hashing: form fields as lists, an uploaded file as the hash of its bytes."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict
        return {k: [_canonical(v) for v in values] for k, values in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(_canonical(payload), sort_keys=True, default=str).encode()).hexdigest()


def error_response(exc: Exception) -> tuple[int, dict]:
    if isinstance(exc, ValidationError):
        return 400, exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    if isinstance(exc, PermissionDenied):
        return 403, {"detail": str(exc) or _("没有权限。")}
    if isinstance(exc, StaleVersionError):
        return 412, {"detail": str(exc)}
    return 409, {"detail": str(exc)}


def key_validate(key: str) -> str:
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            {"idempotency_key": _("请求须带 Idempotency-Key（1–%(n)s 个字符）。") % {"n": MAX_KEY_LENGTH}}
        )
    return key


def project_error_answer(exc: Exception) -> tuple[int, dict, dict] | None:
    """The answer to the project's errors (ValidationError 400, PermissionDenied 403, ConflictError 409)."""
    if isinstance(exc, ValidationError | ConflictError | PermissionDenied):
        status, body = error_response(exc)
        return status, body, {}
    return None


def idempotent_run(
    *,
    principal: str,
    key: str,
    endpoint: str,
    payload,
    run: Callable[[], tuple[int, dict, dict]],
    answer_error: Callable[[Exception], tuple[int, dict, dict] | None] = project_error_answer,
) -> tuple[int, dict, dict, bool]:
    """Run `run() -> (status, body, headers)` once per (principal, key). Returns (status, body, headers,
    replayed). An exception from `run` rolls its writes back; `answer_error` turns it into the stored answer,
    or returns None to let it through (nothing is stored then, so a retry runs again)."""
    key = key_validate(key)
    fingerprint = request_fingerprint(payload)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO core_idempotencykey (principal, key, endpoint, request_hash, headers, created_at)
                VALUES (%s, %s, %s, %s, '{}', now())
                ON CONFLICT (principal, key) DO NOTHING RETURNING id
                """,
                [principal, key, endpoint, fingerprint],
            )
            claimed = cursor.fetchone()
        if claimed is None:
            stored = IdempotencyKey.objects.get(principal=principal, key=key)
            if stored.endpoint != endpoint or stored.request_hash != fingerprint:
                raise IdempotencyKeyReusedError(_("该 Idempotency-Key 已用于另一个请求，请换一个新的。"))
            return stored.status_code, stored.response, stored.headers, True
        try:
            with transaction.atomic():
                status, body, headers = run()
        except Exception as exc:
            answer = answer_error(exc)
            if answer is None:
                raise
            status, body, headers = answer
        # stored and replayed as plain JSON; PostgreSQL's jsonb cannot hold a NUL (an echoed bad input may carry one)
        body = json.loads(json.dumps(body, cls=DjangoJSONEncoder).replace("\\u0000", "\\ufffd"))
        IdempotencyKey.objects.filter(pk=claimed[0]).update(
            status_code=status, response=body, headers=headers
        )
        return status, body, headers, False


def idempotent(
    *, principal: str, key: str, endpoint: str, payload, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """`idempotent_run` for callers without headers (the loyalty pages): `run() -> (status, body)`, returns
    (status, body, replayed)."""
    status, body, _headers, replayed = idempotent_run(
        principal=principal, key=key, endpoint=endpoint, payload=payload, run=lambda: (*run(), {})
    )
    return status, body, replayed


def idempotency_keys_expire(*, days: int = KEEP_DAYS) -> int:
    """Forget keys older than `days` (a client retries within minutes, not months). Returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(days=days)
    ).delete()
    return deleted


# ---- the API -----------------------------------------------------------------------------------------------------
def representation_etag(data) -> str:
    """The ETag of an object's representation: its version (`updated_at`, what If-Match compares) when it has one,
    else a weak hash of the body."""
    if isinstance(data, dict) and data.get("updated_at"):
        return f'"{data["updated_at"]}"'
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def created_headers_set(view, request, response) -> None:
    """`Location` (the new object's URL: its own detail route, else the object the action was made on) and `ETag`
    on a 201."""
    data = response.data
    if not response.has_header("Location"):
        url = None
        basename = getattr(view, "basename", None)
        if basename and isinstance(data, dict) and data.get("id") is not None:
            try:
                url = reverse(
                    f"{basename}-detail",
                    kwargs={
                        getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk"): data[
                            "id"
                        ]
                    },
                )
            except NoReverseMatch:
                url = None
        if url is None and view.kwargs and basename:
            try:
                url = reverse(f"{basename}-detail", kwargs=view.kwargs)
            except NoReverseMatch:
                url = None
        if url is not None:
            response["Location"] = request.build_absolute_uri(url)
    if not response.has_header("ETag"):
        response["ETag"] = representation_etag(data)


def _stored_headers(response) -> dict:
    return {name: response[name] for name in STORED_HEADERS if response.has_header(name)}


def _keyed(handler):
    """Wrap a viewset handler (create or an @action) so it runs once per Idempotency-Key of the caller."""

    @functools.wraps(handler)
    def keyed(self, request, *args, **kwargs):
        if getattr(
            request, "_idempotency_claimed", False
        ):  # an override calling its keyed parent: claimed once
            return handler(self, request, *args, **kwargs)
        request._idempotency_claimed = True
        answered = {}

        def run():
            response = answered["response"] = handler(self, request, *args, **kwargs)
            if response.status_code == 201:
                created_headers_set(self, request, response)
            return response.status_code, response.data, _stored_headers(response)

        def answer_error(exc):
            response = self.handle_exception(exc)  # as the API answers it; unexpected errors raise on
            if response.status_code >= 500:
                return None
            answered["response"] = response
            return response.status_code, response.data, _stored_headers(response)

        status, body, headers, replayed = idempotent_run(
            principal=f"user:{request.user.pk}",
            key=request.headers.get(HEADER, ""),
            endpoint=request.path,
            payload=request.data,
            run=run,
            answer_error=answer_error,
        )
        if not replayed:
            return answered["response"]
        return Response(body, status=status, headers={**headers, REPLAYED_HEADER: "true"})

    keyed.idempotent = True
    return keyed


class IdempotentCreateMixin:
    """Put first in a viewset's bases: its `create` (if it has one) and the actions listed in
    `idempotent_actions` require an Idempotency-Key and run once per key (see the module docstring)."""

    idempotent_actions: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("create", *cls.idempotent_actions):
            handler = getattr(cls, name, None)
            if handler is not None and not getattr(handler, "idempotent", False):
                setattr(cls, name, _keyed(handler))

    @classmethod
    def idempotent_action_names(cls) -> set[str]:
        return {name for name in ("create", *cls.idempotent_actions) if hasattr(cls, name)}
