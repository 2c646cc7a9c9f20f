"""Who must pass two-factor authentication, and whether they have."""

from django.conf import settings

# the session remembers that an optional-role user has no device, so their pages cost no query for it
ENROLLED_SESSION_KEY = "_otp_enrolled"


def otp_verified(user) -> bool:
    """Passed in this session (django-otp's OTPMiddleware gives request.user is_verified())."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def has_confirmed_device(*, user) -> bool:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def otp_required(*, user, request=None) -> bool:
    """Two-factor authentication is required of the roles in settings.OTP_REQUIRED_ROLES (administrators and
    supervisors) and of superusers; on the Django admin of every staff user; and of anyone who has enrolled a device
    (customer managers and integration logins may, and then must use it)."""
    if user.role in settings.OTP_REQUIRED_ROLES or user.is_superuser:
        return True
    if request is not None and user.is_staff and request.path.startswith("/admin/"):
        return True
    if request is None:
        return has_confirmed_device(user=user)
    enrolled = request.session.get(ENROLLED_SESSION_KEY)
    if enrolled is None:
        enrolled = has_confirmed_device(user=user)
        request.session[ENROLLED_SESSION_KEY] = enrolled
    return enrolled
