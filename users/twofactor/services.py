"""Two-factor authentication (django-otp): a TOTP device enrolled by scanning a QR code, and recovery codes (a
static device whose codes work once each)."""

from django.db import transaction
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from users.models import User
from users.twofactor.selectors import ENROLLED_SESSION_KEY

TOTP_NAME = "authenticator"
RECOVERY_NAME = "recovery"
RECOVERY_CODES = 10


def _clean(token: str) -> str:
    return "".join(str(token).split()).lower()


@transaction.atomic
def totp_enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device this user is enrolling (the same secret until confirmed, so a reload shows the same QR
    code), made if there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)
    return device


@transaction.atomic
def totp_confirm(*, request, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a code from the authenticator app: on success the device is the user's (any other is
    removed), this session counts as verified, and a fresh set of recovery codes is returned to be shown once.
    None when the code is wrong (nothing changes)."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user, confirmed=False)
    if not device.verify_token(_clean(token)):
        return None
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    return recovery_codes_make(user=request.user)


@transaction.atomic
def recovery_codes_make(*, user: User) -> list[str]:
    """A new set of recovery codes; the previous set stops working."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def otp_verify(*, request, token: str) -> bool:
    """Check a code from the authenticator app or a recovery code (used up) against the user's confirmed devices;
    on success this session counts as verified. Wrong codes are throttled by django-otp (growing delays)."""
    token = _clean(token)
    if not token:
        return False
    for device in devices_for_user(request.user, confirmed=True, for_verify=True):
        if device.verify_token(token):
            otp_login(request, device)
            request.session[ENROLLED_SESSION_KEY] = True
            return True
    return False


def recovery_codes_left(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_NAME).count()
