"""Duplicate retailers: find candidate pairs (same phone; similar name and address in one department),
let a person dismiss a pair or merge it. Other apps move their rows on merge through MERGE_HANDLERS."""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ConsentEvent, DuplicatePair, Retailer
from accounts.selectors import retailer_scope
from core.db import tables_analyze
from crm.errors import ConflictError
from users.models import User

NAME_SIMILARITY = 0.5
ADDRESS_SIMILARITY = 0.6
# Fields a merge copies from the duplicate when the survivor has none.
FILL_BLANKS = (
    "owner_id_number",
    "owner_birthday",
    "email",
    "latitude",
    "longitude",
    "shop_area_m2",
    "bank_account",
    "delivery_route",
    "tier",
)

# (cursor, from_retailer_id, to_retailer_id) -> None; registered by apps that hold rows about a retailer.
MERGE_HANDLERS: list[Callable] = []


def merge_handler(func: Callable) -> Callable:
    MERGE_HANDLERS.append(func)
    return func


def duplicates_scan() -> int:
    """Record new candidate pairs, set-based; pairs already decided are left alone. Returns pairs added."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Fresh statistics first: right after a bulk load the planner may think the table is empty and pick
        # a nested loop over 10^10 pairs.
        tables_analyze(cursor, "accounts_retailer")
        cursor.execute("""
            INSERT INTO accounts_duplicatepair (first_id, second_id, reason, score, status, found_at)
            SELECT DISTINCT ON (least(a.id, b.id), greatest(a.id, b.id))
                   least(a.id, b.id), greatest(a.id, b.id), 'phone', 1.0, 'open', now()
            FROM accounts_retailer a JOIN accounts_retailer b ON b.mobile = a.mobile AND b.id > a.id
            WHERE a.status <> 'closed' AND b.status <> 'closed'
            ON CONFLICT (first_id, second_id) DO NOTHING
        """)
        added = cursor.rowcount
        # Fuzzy pairs are blocked on (department, name key): the first four characters of the shop name
        # without its branch in brackets, so "惠民便利店（西关店）" meets "惠民便利" and "福满多超市" meets
        # "福满多超市二店" — an equality hash join, never the all-pairs comparison a plain trigram self-join
        # becomes at province scale. Within a block, trigram similarity of name and address decides.
        cursor.execute(
            """
            WITH keyed AS MATERIALIZED (
              SELECT id, org_unit_id, shop_name, address,
                     left(regexp_replace(shop_name, '[（(].*$', ''), 4) AS name_key
              FROM accounts_retailer WHERE status <> 'closed'
            )
            INSERT INTO accounts_duplicatepair (first_id, second_id, reason, score, status, found_at)
            SELECT a.id, b.id, 'fuzzy',
                   round(((similarity(a.shop_name, b.shop_name) + similarity(a.address, b.address)) / 2)::numeric, 3),
                   'open', now()
            FROM keyed a
            JOIN keyed b ON b.org_unit_id = a.org_unit_id AND b.name_key = a.name_key AND b.id > a.id
            WHERE similarity(a.address, b.address) >= %s AND similarity(a.shop_name, b.shop_name) >= %s
            ON CONFLICT (first_id, second_id) DO NOTHING
            """,
            [ADDRESS_SIMILARITY, NAME_SIMILARITY],
        )
        return added + cursor.rowcount


def duplicates_open(*, user: User) -> QuerySet[DuplicatePair]:
    """Open pairs where the user may see both records."""
    scope = retailer_scope(user=user)
    return (
        DuplicatePair.objects.filter(status=DuplicatePair.Status.OPEN, first__in=scope, second__in=scope)
        .select_related("first__route__manager", "second__route__manager")
        .order_by("-score", "id")
    )


def duplicate_dismiss(*, user: User, pair_id: int) -> DuplicatePair:
    with transaction.atomic():
        pair = _pair_for_update(user=user, pair_id=pair_id)
        pair.status = DuplicatePair.Status.DISMISSED
        pair.decided_by = user
        pair.decided_at = timezone.now()
        pair.save(update_fields=["status", "decided_by", "decided_at"])
    return pair


def _pair_for_update(*, user: User, pair_id: int) -> DuplicatePair:
    scope = retailer_scope(user=user)
    pair = (
        DuplicatePair.objects.select_for_update()
        .filter(pk=pair_id, first__in=scope, second__in=scope)
        .first()
    )
    if pair is None:
        from django.http import Http404

        raise Http404
    if pair.status != DuplicatePair.Status.OPEN:
        raise ConflictError(_("这对记录已处理过（%(status)s）。") % {"status": pair.get_status_display()})
    return pair


def retailer_merge(
    *, user: User, survivor_id: int, duplicate_id: int, pair_id: int | None = None
) -> Retailer:
    """Merge `duplicate` into `survivor`: the survivor keeps its values and takes the duplicate's where it has
    none; orders and everything else other apps hold move to the survivor; the duplicate is closed and points to
    the survivor, so both histories stay readable. One transaction: all of it or nothing."""
    if survivor_id == duplicate_id:
        raise ValidationError(_("不能把客户合并到它自己。"))
    if not user.has_perm("accounts.change_retailer"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("您没有合并客户的权限。"))
    scope = retailer_scope(user=user)
    with transaction.atomic():
        if pair_id is not None:
            pair = _pair_for_update(user=user, pair_id=pair_id)
            if {pair.first_id, pair.second_id} != {survivor_id, duplicate_id}:
                raise ValidationError(_("合并的两条记录与疑似重复对不一致。"))
        rows = {r.pk: r for r in scope.select_for_update().filter(pk__in=[survivor_id, duplicate_id])}
        if len(rows) != 2:
            from django.http import Http404

            raise Http404
        survivor, duplicate = rows[survivor_id], rows[duplicate_id]
        if duplicate.merged_into_id or survivor.merged_into_id:
            raise ConflictError(_("该记录已合并过。"))
        filled = []
        for name in FILL_BLANKS:
            if getattr(survivor, name) in (None, "") and getattr(duplicate, name) not in (None, ""):
                setattr(survivor, name, getattr(duplicate, name))
                filled.append(name)
        if filled:
            survivor.save(update_fields=[*filled, "updated_at"])
        ConsentEvent.objects.filter(retailer=duplicate).update(retailer=survivor)
        with connection.cursor() as cursor:
            for handler in MERGE_HANDLERS:
                handler(cursor=cursor, from_id=duplicate.pk, to_id=survivor.pk)
        duplicate.status = Retailer.Status.CLOSED
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["status", "merged_into", "updated_at"])
        DuplicatePair.objects.filter(
            Q(first=duplicate) | Q(second=duplicate), status=DuplicatePair.Status.OPEN
        ).update(status=DuplicatePair.Status.MERGED, decided_by=user, decided_at=timezone.now())
    return survivor
