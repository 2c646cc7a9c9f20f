"""Two-factor authentication in tests, the way a person passes it: a confirmed TOTP device for the user, and the
session marked verified as django-otp's own login does (the device's persistent id under DEVICE_ID_SESSION_KEY).

Enforcement stays on in the test settings: these helpers only stand in for typing the code, for the fixtures that
log staff in (tests/conftest.py client_for / api_client_for, tests/browser/conftest.py login)."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from users.twofactor.selectors import otp_required


def needs_otp(user) -> bool:
    """Whether the fixtures must pass two-factor for `user`: the required roles, superusers, and staff (the admin)."""
    return otp_required(user=user) or user.is_staff


def otp_device_for(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test phone", confirmed=True)
    return device


def current_code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now. The device forgets the last code used, so two logins within one
    30-second step (two browsers in one test) both pass, as they would 30 s apart."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def mark_verified(client, user) -> None:
    """The session of a client logged in as `user` (force_login) counts as having passed two-factor."""
    device = otp_device_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
