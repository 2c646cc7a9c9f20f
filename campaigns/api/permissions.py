"""What the outreach API checks before it acts: model permissions for reads too, and Django's refusals in DRF's
form."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied


class ModelPermissions(permissions.DjangoModelPermissions):
    """Reads need the view permission too (DRF's default lets any authenticated user read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}


def denied(exc: DjangoPermissionDenied):
    return PermissionDenied(str(exc) or None)
