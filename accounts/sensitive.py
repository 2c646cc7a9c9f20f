"""Who saw or exported a retailer's personal data: one value revealed (the rule is core.masking's), the access
log of unmasked lists and exports, and the export log."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer, RetailerExport, SensitiveAccess
from core.masking import PERSONAL_FIELDS, may_reveal
from users.models import User


def sensitive_may_reveal(*, user: User, field: str) -> bool:
    """Whether `user` may have one full value of `field` revealed (logged): the rule is core.masking's, the one place
    every page, API, admin and export path asks."""
    return may_reveal(user=user, field=field)


def sensitive_reveal(
    *, user: User, retailer: Retailer, field: str, via: str, ip_address: str | None = None
) -> str:
    """Return one unmasked value and log that `user` saw it. PermissionDenied without the right."""
    from django.core.exceptions import PermissionDenied

    if field not in PERSONAL_FIELDS:
        raise ValidationError({"field": _("未知字段")})
    if not sensitive_may_reveal(user=user, field=field):
        raise PermissionDenied(_("您没有查看该信息的权限。"))
    SensitiveAccess.objects.create(user=user, retailer=retailer, field=field, via=via, ip_address=ip_address)
    return getattr(retailer, field)


def sensitive_access_log_many(
    *, user: User, retailer_ids: Iterable[int], fields: Iterable[str], via: str, ip_address: str | None = None
) -> int:
    """Log one line per retailer and field shown unmasked in a list (API page, export).

    One INSERT … SELECT over two arrays, in the order bulk_create would write them (retailer by retailer,
    field by field): an API page logs up to 600 lines on every request, and building a model object per
    line cost more than the page itself."""
    ids = [int(rid) for rid in retailer_ids]
    names = [str(f) for f in fields]
    if not ids or not names:
        return 0
    ip_value = SensitiveAccess._meta.get_field("ip_address").get_db_prep_value(
        ip_address, connection, prepared=False
    )
    with connection.cursor() as cursor:
        cursor.execute(_ACCESS_LOG_SQL, [user.pk, str(via), ip_value, timezone.now(), ids, names])
        return cursor.rowcount


_ACCESS_LOG_SQL = """
    INSERT INTO accounts_sensitiveaccess (user_id, retailer_id, field, via, ip_address, created_at)
    SELECT %s, r.id, f.name, %s, %s, %s
    FROM unnest(%s::bigint[]) WITH ORDINALITY AS r(id, n)
    CROSS JOIN unnest(%s::text[]) WITH ORDINALITY AS f(name, m)
    ORDER BY r.n, f.m"""


def retailer_export_log(*, user: User, filters: dict, row_count: int, unmasked: bool) -> RetailerExport:
    return RetailerExport.objects.create(user=user, filters=filters, row_count=row_count, unmasked=unmasked)


def retailer_export_count_set(*, export: RetailerExport, row_count: int) -> None:
    export.row_count = row_count
    export.save(update_fields=["row_count"])
