"""Idempotency keys for POSTs that move points: the first request with a key runs and its response is stored
with the key in the same transaction; a repeat (a client retrying after a timeout, a double tap) gets the
stored response and changes nothing. Errors the caller can read (400, 409) are stored too, as a payment API
does: a key names one attempt."""

import datetime
import hashlib
import json
from collections.abc import Callable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import ConflictError
from loyalty.models import IdempotencyKey

MAX_KEY_LENGTH = 100


class IdempotencyKeyReusedError(ConflictError):
    """The key was used before for another request (another endpoint or body)."""


def request_fingerprint(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def error_response(exc: Exception) -> tuple[int, dict]:
    if isinstance(exc, ValidationError):
        return 400, exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    if isinstance(exc, PermissionDenied):
        return 403, {"detail": str(exc) or _("没有权限。")}
    return 409, {"detail": str(exc)}


def idempotent(
    *, principal: str, key: str, endpoint: str, payload, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """Run `run` (which returns (status, body)) once per (principal, key). Returns (status, body, replayed).
    A concurrent request with the same key waits for the first to commit, then replays its response."""
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationError(
            {"idempotency_key": _("请求须带 Idempotency-Key（1–%(n)s 个字符）。") % {"n": MAX_KEY_LENGTH}}
        )
    fingerprint = request_fingerprint(payload)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO loyalty_idempotencykey (principal, key, endpoint, request_hash, created_at)
                VALUES (%s, %s, %s, %s, now())
                ON CONFLICT (principal, key) DO NOTHING RETURNING id
                """,
                [principal, key, endpoint, fingerprint],
            )
            claimed = cursor.fetchone()
        if claimed is None:
            stored = IdempotencyKey.objects.get(principal=principal, key=key)
            if stored.endpoint != endpoint or stored.request_hash != fingerprint:
                raise IdempotencyKeyReusedError(_("该 Idempotency-Key 已用于另一个请求，请换一个新的。"))
            return stored.status_code, stored.response, True
        try:
            with transaction.atomic():
                status, body = run()
        except (ValidationError, ConflictError, PermissionDenied) as exc:
            status, body = error_response(exc)
        body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))  # stored and replayed as plain JSON
        IdempotencyKey.objects.filter(pk=claimed[0]).update(status_code=status, response=body)
        return status, body, False


KEEP_DAYS = 30


def idempotency_keys_expire(*, days: int = KEEP_DAYS) -> int:
    """Forget keys older than `days` (a client retries within minutes, not months). Returns how many."""
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(days=days)
    ).delete()
    return deleted
