"""The API's permission kit: one way to say which model permissions an endpoint needs, and Django's model
permissions by method with reading included."""

from rest_framework import permissions


def needs(*perms: str) -> type[permissions.BasePermission]:
    """A DRF permission class granting an authenticated user who holds every one of `perms` (Django's
    "app_label.codename"), e.g. `permission_classes = [needs("loyalty.view_pointsentry")]`."""

    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return HasPerms


class ModelPermissions(permissions.DjangoModelPermissions):
    """Django's model permissions by method (POST add_, PUT/PATCH change_, DELETE delete_), and reads need the view
    permission too (DRF's default lets any authenticated user read)."""

    perms_map = {**permissions.DjangoModelPermissions.perms_map, "GET": ["%(app_label)s.view_%(model_name)s"]}
