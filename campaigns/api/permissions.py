"""Django's refusals in DRF's form, for the outreach API (its model permissions are core.permissions')."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework.exceptions import PermissionDenied


def denied(exc: DjangoPermissionDenied):
    return PermissionDenied(str(exc) or None)
