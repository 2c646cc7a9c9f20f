"""Who logs in during the load test: the database's own active customer managers and supervisors, an integration
login with its API token, and single-use recovery codes for the roles that need a second factor (removed after)."""

import secrets

from bench.runner import LoadError


def logins(*, users: int) -> dict:
    """Managers with shops and supervisors of this database, and the integration's token (created if missing)."""
    from django.db.models import Exists, OuterRef

    from accounts.models import Retailer
    from users.models import OrgUnit, Route, User

    with_shops = Exists(Retailer.objects.filter(route__manager=OuterRef("pk")))
    managers = list(
        User.objects.filter(is_active=True, role=User.Role.MANAGER, pk__in=Route.objects.values("manager"))
        .filter(with_shops)
        .order_by("username")
        .values_list("username", flat=True)[:users]
    )
    supervisors = list(
        User.objects.filter(is_active=True, role=User.Role.SUPERVISOR)
        .order_by("username")
        .values_list("username", flat=True)[:users]
    )
    if not managers or not supervisors:
        raise LoadError(
            "no customer manager with shops or no supervisor here: load demo data first (make run)"
        )
    integration = User.objects.filter(username="loadtest-api").first()
    if integration is None:
        from users.services import user_create

        company = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
        integration = user_create(
            username="loadtest-api",
            password=secrets.token_hex(16),
            role=User.Role.INTEGRATION,
            org_unit=company,
        )
    from users.services import api_token_create

    _token, key = api_token_create(user=integration, name=LOAD_DEVICE_NAME, days=1)
    return {
        "managers": managers,
        "supervisors": supervisors,
        "token": key,
        "otp_codes": second_factor_codes(usernames=[*managers, *supervisors]),
    }


LOAD_DEVICE_NAME = "load test (temporary)"
CODES_PER_LOGIN = 40  # each simulated login of a two-factor role spends one


def second_factor_codes(*, usernames: list[str]) -> dict[str, list[str]]:
    """For the logins whose role needs two-factor (users.twofactor), single-use recovery codes on a device of the
    load test's own, as a person types one from their list; removed after the run (load_devices_remove)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from users.models import User
    from users.twofactor.selectors import otp_required

    codes = {}
    for user in User.objects.filter(username__in=usernames):
        if not (otp_required(user=user) or user.is_staff):
            continue
        if not TOTPDevice.objects.filter(
            user=user, confirmed=True
        ).exists():  # not enrolled (demo data): as if
            TOTPDevice.objects.create(user=user, name=LOAD_DEVICE_NAME, confirmed=True)
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=LOAD_DEVICE_NAME, confirmed=True
        )
        tokens = [StaticToken.random_token() for _ in range(CODES_PER_LOGIN)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=token) for token in tokens)
        codes[user.username] = tokens
    return codes


def load_devices_remove() -> None:
    """The load test's own second-factor devices and API tokens."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from users.models import ApiToken

    StaticDevice.objects.filter(name=LOAD_DEVICE_NAME).delete()
    TOTPDevice.objects.filter(name=LOAD_DEVICE_NAME).delete()
    ApiToken.objects.filter(name=LOAD_DEVICE_NAME).delete()
