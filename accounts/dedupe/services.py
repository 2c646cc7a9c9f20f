"""Duplicate retailers: find candidate pairs (same phone; similar name and address in one department),
let a person dismiss a pair or merge it.

What happens to a shop's records on merge: every model that references Retailer has one decision in
MERGE_DECISIONS, registered by the app that owns the model from its AppConfig.ready() (its `merge.py`): "move"
(a set-based handler carries the rows to the survivor) or "stay" (the rows remain with the closed record, for a
written reason). `manage.py registries` lists them; a system check and tests/accounts/test_merge_registry.py fail
when a model references Retailer without a decision."""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dedupe.models import DuplicatePair, DuplicateScan
from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import tables_analyze
from core.errors import ConflictError
from core.registry import Registry
from users.models import User

NAME_SIMILARITY = 0.5
ADDRESS_SIMILARITY = 0.6
# The blocking key of the fuzzy rule: the first four characters of the shop name without its branch in brackets,
# so "惠民便利店（西关店）" meets "惠民便利" and "福满多超市" meets "福满多超市二店". Shared with the import
# preview (accounts.imports.retailers.checks), which flags the same pairs before they are written.
NAME_KEY_SQL = "left(regexp_replace({name}, '[（(].*$', ''), 4)"
# The county of an org unit row `o`: a department's parent, or the unit itself.
COUNTY_OF_SQL = "CASE WHEN {o}.kind = 'department' THEN {o}.parent_id ELSE {o}.id END"
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


# ---- what a merge does with the rows other models hold about the duplicate ------------------------------------

# handler(*, cursor, from_id, to_id): runs inside the merge's transaction, set-based.
MergeHandler = Callable[..., None]


class MergeAction(enum.StrEnum):
    MOVE = "move"  # the rows become the survivor's; the handler leaves none on the duplicate
    STAY = "stay"  # the rows remain with the closed record; `why` says why (a handler may still act)


@dataclass(frozen=True)
class MergeDecision:
    action: MergeAction
    why: str
    handler: MergeHandler | None = None

    def __str__(self) -> str:
        how = f" (by {getattr(self.handler, '__qualname__', self.handler)})" if self.handler else ""
        return f"{self.action}{how}: {self.why}"


MERGE_DECISIONS: Registry[tuple[str, str], MergeDecision] = Registry(
    "merge",
    owner="accounts",
    doc="(model label, field) of every reference to Retailer -> move to the survivor or stay with the closed "
    "duplicate; handlers run in registration order inside the merge's transaction",
)


def merge_move(
    label: str,
    *,
    why: str,
    field: str = "retailer",
    handler: MergeHandler | None = None,
    unique_with: Iterable[str] = (),
    on_conflict: str = "delete",
) -> None:
    """Declare that `label`.`field` moves to the survivor on merge. Without a handler, one UPDATE moves the rows;
    with `unique_with` (the other fields of a unique constraint with `field`), or when `field` is itself unique
    (a one-to-one), a row whose key the survivor already holds is deleted (on_conflict="delete": the survivor's row stands for both) or left on the closed
    record (on_conflict="stay": say why in `why`)."""
    if handler is None:
        handler = rows_move(label, field=field, unique_with=tuple(unique_with), on_conflict=on_conflict)
    MERGE_DECISIONS.register((label, field), MergeDecision(MergeAction.MOVE, why, handler), by=_app(label))


def merge_stay(label: str, *, why: str, field: str = "retailer", handler: MergeHandler | None = None) -> None:
    """Declare that `label`.`field` stays with the closed duplicate, and why."""
    MERGE_DECISIONS.register((label, field), MergeDecision(MergeAction.STAY, why, handler), by=_app(label))


def _app(label: str) -> str:
    return label.split(".", 1)[0]


def rows_move(
    label: str, *, field: str = "retailer", unique_with: tuple[str, ...] = (), on_conflict: str = "delete"
) -> MergeHandler:
    """A handler that moves `label`'s rows with `field` = duplicate to the survivor in one UPDATE (rows whose
    unique key the survivor already has are deleted or left, see merge_move)."""
    if on_conflict not in ("delete", "stay"):
        raise ValueError(on_conflict)

    def handler(*, cursor, from_id: int, to_id: int) -> None:
        model = apps.get_model(label)
        quote = connection.ops.quote_name
        table, column = quote(model._meta.db_table), quote(model._meta.get_field(field).column)
        # a one-to-one is unique on the field alone: the survivor's own row stands
        unique = bool(unique_with) or model._meta.get_field(field).unique
        clash = ""
        if unique:
            same = "".join(
                f" AND s.{quote(model._meta.get_field(name).column)} = t.{quote(model._meta.get_field(name).column)}"
                for name in unique_with
            )
            clash = f" AND NOT EXISTS (SELECT 1 FROM {table} s WHERE s.{column} = %(to)s{same})"  # noqa: S608
        params = {"from": from_id, "to": to_id}
        # table and column names from the model's _meta, quoted; values are parameters
        cursor.execute(f"UPDATE {table} t SET {column} = %(to)s WHERE t.{column} = %(from)s{clash}", params)  # noqa: S608
        if unique and on_conflict == "delete":
            cursor.execute(f"DELETE FROM {table} WHERE {column} = %(from)s", params)  # noqa: S608

    handler.__qualname__ = handler.__name__ = f"rows_move({label}.{field})"
    return handler


def retailer_references() -> list[tuple[str, str]]:
    """(model label, field) of every column that holds a retailer's id: foreign keys and one-to-ones to
    Retailer, and plain integer fields named retailer_id or *_retailer_id (an id kept without a constraint)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if (f.is_relation and f.related_model is Retailer) or (
                not f.is_relation and isinstance(f, models.IntegerField) and f.column.endswith("retailer_id")
            ):
                found.append((model._meta.label, f.name))
    return found


def merge_decisions_missing() -> list[tuple[str, str]]:
    """References to Retailer that have no merge decision (a merge would strand their rows silently)."""
    return [ref for ref in retailer_references() if ref not in MERGE_DECISIONS]


def merge_decisions_check(app_configs=None, **kwargs) -> list:
    """System check: every reference to Retailer has a merge decision."""
    from django.core import checks

    return [
        checks.Error(
            f"{label}.{field} references Retailer but has no merge decision",
            hint="Declare accounts.dedupe.services.merge_move(...) or merge_stay(...) in the owning app's merge.py.",
            id="accounts.E001",
        )
        for label, field in merge_decisions_missing()
    ]


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
        # Fuzzy pairs are blocked on (county, name key) (NAME_KEY_SQL): an equality hash join, never the all-pairs
        # comparison a plain trigram self-join becomes at province scale. A county's departments share shops at
        # their borders, so the block is the county, not the department. Within a block, trigram similarity of
        # name and address decides.
        cursor.execute(
            f"""
            WITH keyed AS MATERIALIZED (
              SELECT r.id, {COUNTY_OF_SQL.format(o="o")} AS county_id, r.shop_name, r.address,
                     {NAME_KEY_SQL.format(name="r.shop_name")} AS name_key
              FROM accounts_retailer r JOIN users_orgunit o ON o.id = r.org_unit_id WHERE r.status <> 'closed'
            )
            INSERT INTO accounts_duplicatepair (first_id, second_id, reason, score, status, found_at)
            SELECT a.id, b.id, 'fuzzy',
                   round(((similarity(a.shop_name, b.shop_name) + similarity(a.address, b.address)) / 2)::numeric, 3),
                   'open', now()
            FROM keyed a
            JOIN keyed b ON b.county_id = a.county_id AND b.name_key = a.name_key AND b.id > a.id
            WHERE similarity(a.address, b.address) >= %s AND similarity(a.shop_name, b.shop_name) >= %s
            ON CONFLICT (first_id, second_id) DO NOTHING
            """,  # noqa: S608 - the f-string only inlines module constants
            [ADDRESS_SIMILARITY, NAME_SIMILARITY],
        )
        return added + cursor.rowcount


def duplicates_scan_request(*, user: User) -> DuplicateScan:
    """Run the duplicate scan now (supervisors and admins, from the data-quality page): queue a scan, or return
    the one already waiting or running, so a second click does not start a second scan."""
    from django.core.exceptions import PermissionDenied
    from django.db import IntegrityError

    if not (user.is_company_admin or user.role == User.Role.SUPERVISOR):
        raise PermissionDenied(_("只有营销主管和管理员可以立即检查重复。"))
    active = DuplicateScan.objects.filter(
        status__in=[DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING]
    )
    existing = active.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            scan = DuplicateScan.objects.create(requested_by=user)
    except IntegrityError:  # another click won the race: join its scan
        return active.first()
    from accounts.tasks import duplicates_scan_task

    transaction.on_commit(lambda: duplicates_scan_task.delay(scan_id=scan.pk))
    return scan


def duplicates_scan_run(*, scan_id: int) -> DuplicateScan:
    """Run a requested scan once: claim it, scan, record what it found (or why it failed)."""
    with transaction.atomic():
        scan = DuplicateScan.objects.select_for_update().get(pk=scan_id)
        if scan.status != DuplicateScan.Status.QUEUED:
            return scan  # a re-delivered task
        scan.status, scan.started_at = DuplicateScan.Status.RUNNING, timezone.now()
        scan.save(update_fields=["status", "started_at"])
    try:
        added = duplicates_scan()
    except Exception as exc:
        DuplicateScan.objects.filter(pk=scan_id).update(
            status=DuplicateScan.Status.FAILED, finished_at=timezone.now(), message=str(exc)[:500]
        )
        raise
    DuplicateScan.objects.filter(pk=scan_id).update(
        status=DuplicateScan.Status.DONE, finished_at=timezone.now(), pairs_added=added
    )
    scan.refresh_from_db()
    return scan


def duplicate_scan_latest() -> DuplicateScan | None:
    return DuplicateScan.objects.select_related("requested_by").first()


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
        with connection.cursor() as cursor:
            for _key, decision in MERGE_DECISIONS.items():
                if decision.handler is not None:
                    decision.handler(cursor=cursor, from_id=duplicate.pk, to_id=survivor.pk)
        duplicate.status = Retailer.Status.CLOSED
        duplicate.merged_into = survivor
        duplicate.save(update_fields=["status", "merged_into", "updated_at"])
        DuplicatePair.objects.filter(
            Q(first=duplicate) | Q(second=duplicate), status=DuplicatePair.Status.OPEN
        ).update(status=DuplicatePair.Status.MERGED, decided_by=user, decided_at=timezone.now())
    return survivor
