"""What an import is measured against: a plain COPY of the same file into a bare table, a COPY of the same rows
into an empty table like accounts_retailer, and the peer a Django team would otherwise pick (django-import-export,
when installed)."""

import csv
import time
from pathlib import Path

from django.db import connection, transaction

from bench.imports.files import BENCH_PREFIX, retailers_delete

PEER_ROWS = 3000


def copy_baseline(path: Path, columns: int, encoding: str) -> float:
    """Seconds for a plain COPY of the file into a bare table of text columns (no checks, no indexes)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cols = ", ".join(f"c{i} text" for i in range(columns))
        cursor.execute("DROP TABLE IF EXISTS _bench_copy")  # left by an outer transaction (tests)
        cursor.execute(f"CREATE TEMP TABLE _bench_copy ({cols}) ON COMMIT DROP")
        started = time.perf_counter()
        with path.open("rb") as fh:
            cursor.copy_expert(
                f"COPY _bench_copy FROM STDIN WITH (FORMAT csv, HEADER true, ENCODING '{encoding}')", fh
            )
        return time.perf_counter() - started


def copy_into_table_like(table: str, where: str) -> float:
    """Seconds for COPY of the already-imported rows (normalised, as stored) into an empty table built LIKE the
    real one with its indexes and constraints: what the rows cost to load with no validation at all."""
    import io

    with transaction.atomic(), connection.cursor() as cursor:
        buffer = io.StringIO()
        cursor.copy_expert(f"COPY (SELECT * FROM {table} WHERE {where}) TO STDOUT", buffer)
        buffer.seek(0)
        cursor.execute("DROP TABLE IF EXISTS _bench_like")  # left by an outer transaction (tests)
        cursor.execute(f"CREATE TEMP TABLE _bench_like (LIKE {table} INCLUDING ALL) ON COMMIT DROP")
        cursor.execute(
            "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''",
            [table],
        )
        columns = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attgenerated <> ''", [table]
        )
        if cursor.fetchone()[0]:
            # COPY TO wrote the generated columns too; re-export without them.
            buffer = io.StringIO()
            cursor.copy_expert(f"COPY (SELECT {columns} FROM {table} WHERE {where}) TO STDOUT", buffer)
            buffer.seek(0)
        started = time.perf_counter()
        cursor.copy_expert(f"COPY _bench_like ({columns}) FROM STDIN", buffer)
        return time.perf_counter() - started


def peer_import_export(path: Path, rows: int) -> dict:
    """The same retailer rows through django-import-export (a ModelResource, its default save-per-row path)."""
    try:
        import tablib
        from import_export import resources
    except ImportError:
        return {"installed": False, "note": "pip install django-import-export to compare (benchmark only)"}
    from accounts.models import Retailer
    from users.models import OrgUnit, Route

    units = dict(OrgUnit.objects.values_list("name", "id"))
    routes = dict(Route.objects.values_list("code", "id"))
    formats = {"食杂店": "Z", "便利店": "B", "烟酒商店": "Y", "超市": "S"}
    dataset = tablib.Dataset(
        headers=[
            "customer_code",
            "licence_no",
            "licence_issued_on",
            "licence_expires_on",
            "shop_name",
            "owner_name",
            "mobile",
            "address",
            "market_type",
            "business_format",
            "scale",
            "tier",
            "credit_grade",
            "org_unit",
            "route",
            "order_weekday",
        ]
    )
    with path.open(encoding="gbk", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for i, row in enumerate(reader):
            if i >= rows:
                break
            row = list(row)
            row[0] = row[0].replace(BENCH_PREFIX, "PEERX")
            row[1] = row[1][:6] + "2" + f"{90000 + i:05d}"
            row[8] = "C" if row[8] == "城镇" else "X"
            row[9] = formats[row[9]]
            row[13] = units[row[13]]
            row[14] = routes[row[14]]
            row[15] = 3
            dataset.append(row)

    class RetailerResource(resources.ModelResource):
        class Meta:
            model = Retailer
            import_id_fields = ["licence_no"]
            fields = dataset.headers

    started = time.perf_counter()
    result = RetailerResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    created = result.totals.get("new", 0)
    retailers_delete("PEERX%")
    import django

    return {
        "installed": True,
        "rows": len(dataset),
        "created": created,
        "seconds": round(seconds, 3),
        "rows_per_s": round(len(dataset) / seconds, 1),
        "django": django.get_version(),
    }
