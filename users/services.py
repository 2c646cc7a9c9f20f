"""Every write to staff, org units and routes."""

from django.db import transaction

from users.models import OrgUnit, Route, User


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
