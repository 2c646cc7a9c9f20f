"""Every write to staff, org units and routes, and to their access: sessions and API tokens."""

import datetime
import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from users.models import ApiToken, OrgUnit, Route, StaffSession, User
from users.sessions import sessions_end


@transaction.atomic
def org_unit_create(*, name: str, kind: str, parent: OrgUnit | None = None, region_code: str = "") -> OrgUnit:
    unit = OrgUnit(name=name, kind=kind, parent=parent, region_code=region_code, path="/")
    unit.full_clean(exclude=["path"])
    unit.save()
    # The path needs the primary key, so it is written once the row exists.
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    role: str,
    org_unit: OrgUnit | None = None,
    display_name: str = "",
    email: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a login. `password_hash` (from make_password) lets bulk callers hash one password once."""
    user = User(
        username=username,
        role=role,
        org_unit=org_unit,
        display_name=display_name,
        email=email,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def route_create(
    *, code: str, name: str, org_unit: OrgUnit, manager: User | None = None, visit_weekday: int | None = None
) -> Route:
    route = Route(code=code, name=name, org_unit=org_unit, manager=manager, visit_weekday=visit_weekday)
    route.full_clean()
    route.save()
    return route


# ---- access: disabling a login, its sessions and API tokens -------------------------------------------------------


def user_access_revoke(*, user: User) -> tuple[int, int]:
    """End every session of `user` and revoke every API token at once (one DELETE, one UPDATE). Returns (sessions
    ended, tokens revoked)."""
    sessions = sessions_end(sessions=StaffSession.objects.filter(user=user))
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    return sessions, tokens


@transaction.atomic
def user_deactivate(*, user: User) -> tuple[int, int]:
    """Disable a login: it can no longer sign in, its open sessions end and its API tokens stop working — now, not
    at their expiry. The only way a login is disabled (the admin's form and action call it)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    return user_access_revoke(user=user)


@transaction.atomic
def user_activate(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str = "", days: int | None = None) -> tuple[ApiToken, str]:
    """A new API token for `user`, valid `days` (settings.API_TOKEN_DAYS by default, at most API_TOKEN_MAX_DAYS).
    Returns the token and its key; the key is not stored and cannot be shown again."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            {"days": _("有效期须为 1 到 %(max)s 天。") % {"max": settings.API_TOKEN_MAX_DAYS}}
        )
    if not user.is_active:
        raise ConflictError(_("该账号已停用，不能创建令牌。"))
    key = secrets.token_hex(20)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=api_token_hash(key),
        prefix=key[:8],
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    return token, key


def api_token_revoke(*, token_ids: list[int]) -> int:
    return ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


# One statement, so the data migration and the demo seed share it: every county with a region code and no row in
# the map yet gets its first department (the lowest id: the one created first, usually "<county>营销部").
_REGION_UNITS_DEFAULT_SQL = """
    INSERT INTO users_regionunit (region_code, org_unit_id, note)
    SELECT DISTINCT ON (c.region_code) c.region_code, d.id, ''
    FROM users_orgunit c JOIN users_orgunit d ON d.parent_id = c.id AND d.kind = 'department'
    WHERE c.kind = 'county' AND c.region_code <> ''
    ORDER BY c.region_code, d.id
    ON CONFLICT (region_code) DO NOTHING
"""


def region_units_seed_defaults(*, cursor=None) -> int:
    """Fill the region → department map for counties that have none; edited rows are left alone. Returns rows
    added."""
    from django.db import connection

    if cursor is not None:
        cursor.execute(_REGION_UNITS_DEFAULT_SQL)
        return cursor.rowcount
    with connection.cursor() as own:
        own.execute(_REGION_UNITS_DEFAULT_SQL)
        return own.rowcount
