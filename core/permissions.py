"""The API's permission helper: one way to say which model permissions an endpoint needs."""

from rest_framework import permissions


def needs(*perms: str) -> type[permissions.BasePermission]:
    """A DRF permission class granting an authenticated user who holds every one of `perms` (Django's
    "app_label.codename"), e.g. `permission_classes = [needs("loyalty.view_pointsentry")]`."""

    class HasPerms(permissions.BasePermission):
        def has_permission(self, request, view):
            return bool(request.user and request.user.is_authenticated and request.user.has_perms(perms))

    return HasPerms
