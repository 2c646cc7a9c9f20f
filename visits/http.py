"""The edge kit shared by visits' pages and API: ids from requests and a model's validation error as the API's 400
(the permission helper, the list orders and the error texts are core's: core.permissions, core.pagination,
core.errors)."""

from django.core.exceptions import ValidationError
from rest_framework.exceptions import ValidationError as DRFValidationError

MAX_ID = 2**31 - 1


def positive_id(value: str | None) -> int | None:
    """A positive database id from a query parameter, or None for anything else."""
    if value and value.isdigit() and 0 < int(value) <= MAX_ID:
        return int(value)
    return None


def drf_error(exc: ValidationError) -> DRFValidationError:
    return DRFValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})
