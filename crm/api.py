"""API wiring: the router and an exception handler that answers every error as JSON naming its field."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import MethodNotAllowed, NotAuthenticated, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ConflictError, StaleVersionError


def method_offered(view, method: str) -> bool:
    """Whether DRF dispatches `method` to a handler of this view: one of its `http_method_names` that it has a
    handler for (a viewset has one for each action the router bound to the route)."""
    return method.lower() in view.http_method_names and hasattr(view, method.lower())


def exception_handler(exc, context):
    view, request = context.get("view"), context.get("request")
    if isinstance(exc, NotAuthenticated | PermissionDenied) and not method_offered(view, request.method):
        # DRF checks the caller's permissions before it looks for the method's handler, and a permission that
        # depends on the method (DELETE needs delete_…) refuses one the endpoint never offers: that is a 405,
        # for every caller, signed in or not.
        exc = MethodNotAllowed(request.method)
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, StaleVersionError):
        return Response({"detail": str(exc)}, status=status.HTTP_412_PRECONDITION_FAILED)
    if isinstance(exc, ConflictError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
