"""Conditional writes: a view that sets `honours_if_match = True` compares the `If-Match` header of a PUT/PATCH
with the record's version (its ETag, see core.idempotency.etag_for) and refuses a stale one with 412. The schema
(core.schema) documents the header and the 412 for exactly those views."""

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "The ETag of the version you read. When it is no longer the current one (someone changed the record "
        "since), the write is refused with 412 and nothing changes; without it the write applies to whatever is "
        "current."
    ),
)


def if_match_version(request) -> datetime.datetime | None:
    """The version named by the request's If-Match header, None without one (or `*`); 400 when unreadable."""
    header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not header or header == "*":
        return None
    try:
        return datetime.datetime.fromisoformat(header)
    except ValueError as exc:
        raise ValidationError({"If-Match": [_("应为该记录的 ETag（更新时间）。")]}) from exc
