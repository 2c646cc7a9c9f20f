"""The monthly partitions of the order history: sales_order, sales_orderline (by the order day) and the two
summaries (by the period start and the week start), one table a month for each, `<table>_pYYYYMM`. Migration 0007
converted the tables and defines sales_history_partitions_ensure(first, last), the SQL function every writer of
orders calls for the months it is about to write (the import, the demo seed). There is no DEFAULT partition (why:
migration 0007): a row for a month nobody made is refused, so no write may skip the call.

- `history_partitions_maintain` (beat, nightly): the months from this one to MONTHS_AHEAD ahead exist (an
  import of this week then never creates a table, which would lock the parent until it commits), the partitioned
  tables' own statistics are refreshed, and with ORDER_RETENTION_YEARS > 0 the months older than that many years
  are archived;
- `history_months_archive`: a month is DETACHed from the four tables (references first: product weeks, periods,
  lines, orders; the allocation's excess flags of its lines are deleted, being a flag recomputed from the lines),
  dumped with pg_dump (custom format, the four tables) to BACKUP_DIR/order-history/sales-history-YYYYMM.dump,
  then dropped (a month without a row is dropped without a file). A month detached but not dumped (pg_dump failed) stays a plain table and is dumped at the next run.
  What an archived month leaves behind: points entries and complaints that name one of its orders keep the id
  (their triggers check a key when it is written, not when a month leaves)."""

import datetime
import logging
import subprocess
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.pg_programs import libpq_env, pg_bin_dir, server_major

logger = logging.getLogger(__name__)

TABLES = (
    ("sales_order", "ordered_on"),
    ("sales_orderline", "ordered_on"),
    ("sales_retailerperiodsummary", "period_start"),
    ("sales_retailerproductsummary", "week_start"),
)
# detached in this order: a table before the one its foreign key references
DETACH_ORDER = (
    "sales_retailerproductsummary",
    "sales_retailerperiodsummary",
    "sales_orderline",
    "sales_order",
)
MONTHS_AHEAD = 3
ARCHIVE_FOLDER = "order-history"


class ArchiveError(Exception):
    """A month could not be archived; it stays detached (not dropped) and is retried at the next run."""


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _part(table: str, month: datetime.date) -> str:
    return f"{table}_p{month:%Y%m}"


def history_partitions_ensure(*, cursor, first: datetime.date, last: datetime.date) -> int:
    """Make the month partitions of the four tables for the months from first's week (its Monday may lie in the
    month before: the week's summary row starts there) to last's; returns how many were made."""
    cursor.execute(
        "SELECT sales_history_partitions_ensure(date_trunc('week', %s::date)::date, %s::date)", [first, last]
    )
    return cursor.fetchone()[0]


def history_partitions_named(
    *,
    cursor,
    first: datetime.date,
    last: datetime.date,
    tables: tuple[str, ...] = ("sales_order", "sales_orderline"),
) -> list[str]:
    """The month partitions of `tables` from first's week (its Monday's month) to last's month that exist: what a
    load of those days wrote, to ANALYZE instead of the whole partitioned table (ANALYZE of a partitioned table
    samples and analyzes every month: seconds per import at 10k retailers, minutes at province scale)."""
    cursor.execute(
        "SELECT t || '_p' || to_char(m, 'YYYYMM') FROM unnest(%s::text[]) t, "
        "generate_series(date_trunc('month', date_trunc('week', %s::date)), date_trunc('month', %s::date), "
        "interval '1 month') m WHERE to_regclass(t || '_p' || to_char(m, 'YYYYMM')) IS NOT NULL",
        [list(tables), first, last],
    )
    return [row[0] for row in cursor.fetchall()]


def history_months(*, cursor, attached: bool = True) -> list[datetime.date]:
    """The months that have a partition of sales_order (attached), or the months left detached by an archive
    that did not finish (attached=False: tables named like a month but no partition)."""
    if attached:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'sales_order'::regclass AND c.relname ~ '^sales_order_p[0-9]{6}$'"
        )
    else:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' "
            "AND NOT relispartition AND relname ~ '^sales_(order|orderline|retailerperiodsummary|"
            "retailerproductsummary)_p[0-9]{6}$'"
        )
    months = {datetime.date(int(name[-6:-2]), int(name[-2:]), 1) for (name,) in cursor.fetchall()}
    return sorted(months)


def history_partitions_maintain(
    *, today: datetime.date | None = None, retention_years: int | None = None
) -> dict:
    """The nightly upkeep: make the months up to MONTHS_AHEAD ahead and archive the months past the retention
    (ORDER_RETENTION_YEARS; 0 keeps everything)."""
    today = today or timezone.localdate()
    years = settings.ORDER_RETENTION_YEARS if retention_years is None else retention_years
    with transaction.atomic(), connection.cursor() as cursor:
        made = history_partitions_ensure(
            cursor=cursor, first=today, last=_add_months(_month(today), MONTHS_AHEAD)
        )
        # autovacuum analyzes the months but never a partitioned table itself, whose statistics the planner reads
        # for joins over all months; the writers analyze only the months they wrote
        cursor.execute("ANALYZE " + ", ".join(table for table, _key in TABLES))
    if made:
        logger.info("order history: %s month partitions made ahead", made)
    archived = []
    if years:
        archived = history_months_archive(before=_add_months(_month(today), -12 * years))
    return {"made": made, "archived": [f"{m:%Y-%m}" for m in archived]}


def history_months_archive(*, before: datetime.date, folder: Path | None = None) -> list[datetime.date]:
    """Detach, dump and drop every month before `before`'s month (and any month a failed run left detached).
    Returns the months archived."""
    folder = Path(folder or Path(settings.BACKUP_DIR) / ARCHIVE_FOLDER)
    with connection.cursor() as cursor:
        months = [m for m in history_months(cursor=cursor) if m < _month(before)]
        leftovers = history_months(cursor=cursor, attached=False)
    archived = []
    for month in sorted({*months, *leftovers}):
        if month in months:
            _detach(month)
        path = _dump(month, folder) if _rows_in(month) else None
        with transaction.atomic(), connection.cursor() as cursor:
            for table in DETACH_ORDER:
                cursor.execute(f"DROP TABLE IF EXISTS {_part(table, month)}")
        if path:
            logger.info("order history: %s archived to %s and dropped", f"{month:%Y-%m}", path)
        else:
            logger.info("order history: %s held no row, dropped", f"{month:%Y-%m}")
        archived.append(month)
    return archived


def _detach(month: datetime.date) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM sales_allocationexcess WHERE ordered_on >= %s AND ordered_on < %s",
            [month, _add_months(month, 1)],
        )
        if cursor.rowcount:
            logger.info(
                "order history: %s allocation excess flags of %s deleted", cursor.rowcount, f"{month:%Y-%m}"
            )
        for table in DETACH_ORDER:
            part = _part(table, month)
            cursor.execute(f"ALTER TABLE {table} DETACH PARTITION {part}")
            # a detached month keeps its own copies of the foreign keys (its lines' to sales_order would then
            # refuse detaching the month's orders): an archive references nothing
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' AND conparentid = 0",
                [part],
            )
            for (name,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {part} DROP CONSTRAINT "{name}"')


def _rows_in(month: datetime.date) -> bool:
    """Whether any of the month's detached tables holds a row (an empty month needs no archive file)."""
    with connection.cursor() as cursor:
        for table in DETACH_ORDER:
            cursor.execute(f"SELECT EXISTS (SELECT FROM {_part(table, month)})")  # noqa: S608 - our names
            if cursor.fetchone()[0]:
                return True
    return False


def _dump(month: datetime.date, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"sales-history-{month:%Y%m}.dump"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s)", [[_part(t, month) for t in DETACH_ORDER]]
        )
        tables = sorted(row[0] for row in cursor.fetchall())
    args, env = libpq_env(settings.DATABASES["default"])
    run = subprocess.run(  # noqa: S603 - our own arguments, no shell
        [
            str(pg_bin_dir(server_major()) / "pg_dump"),
            "--format=custom",
            "--file",
            str(path),
            *(f"--table=public.{table}" for table in tables),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        raise ArchiveError(f"pg_dump of {month:%Y-%m} failed: {run.stderr.strip()}")
    return path
