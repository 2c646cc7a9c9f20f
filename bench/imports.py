"""`bench import`: retailer and order file imports (validate + commit, the whole user path) against a plain COPY
of the same file into a bare table, both measured in this run; peak memory of each import, at the full file
and at a tenth of it (flat = memory does not grow with the file); and, as the peer a Django team would
otherwise pick, the same retailer rows through django-import-export when it is installed (benchmark only)."""

import csv
import random
import tempfile
import threading
import time
from pathlib import Path

from django.core.files import File
from django.core.management import call_command
from django.db import connection, transaction

from bench.runner import SCALES, BenchError, analyze, environment, rss_mb

LINES_PER_RETAILER = 5
PEER_ROWS = 3000
IMPORT_RATIO_MIN = 0.5  # validated rows/s ÷ COPY rows/s of the same file (DESIGN.md, issue 17)
RETAILER_HEADER = [
    "客户编码",
    "许可证号",
    "发证日期",
    "有效期至",
    "店铺名称",
    "负责人",
    "手机号",
    "经营地址",
    "市场类型",
    "经营业态",
    "经营规模",
    "档位",
    "信用等级",
    "营销部",
    "服务线路",
    "订货日",
]
ORDER_HEADER = ["订单号", "许可证号", "订货日期", "卷烟编码", "订购量", "单价", "金额"]
BENCH_PREFIX = "BENCH"


class MemoryWatch:
    """Sample this process's RSS every 20 ms while a block runs; report the peak above the starting level."""

    def __init__(self):
        self.start = self.peak = 0.0
        self._stop = threading.Event()

    def __enter__(self):
        self.start = self.peak = rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())

    @property
    def growth_mb(self) -> float:
        return round(self.peak - self.start, 1)


def ensure_org_and_products(stdout):
    from sales.models import Product
    from users.models import Route

    if not Route.objects.filter(manager__isnull=False).exists():
        call_command("seed_demo", "--flush", "--retailers", "200", stdout=stdout, verbosity=0)
    if not Product.objects.exists():
        from sales.demo import demo_products_build

        demo_products_build()


def _rows_and_dependents_delete(cursor, model, ids_sql: str, path: tuple = ()) -> None:
    """Delete the `model` rows whose keys `ids_sql` selects and every row that references them, found through
    Django's relations (foreign keys, one-to-ones, automatic many-to-many tables), children first. A table added
    later that points at a retailer, an order or an order line (the allocation's excess rows did) is cleaned
    without this benchmark knowing it; a relation back into the path (a self-reference) is not followed."""
    qn = connection.ops.quote_name
    meta = model._meta
    # every relation pointing here, including the hidden ones (related_name="+", as AllocationExcess declares)
    reverse = [
        f for f in meta.get_fields(include_hidden=True) if f.is_relation and f.auto_created and not f.concrete
    ]
    for rel in reverse:
        child = rel.related_model
        if rel.many_to_many:
            through = rel.through._meta
            if through.auto_created:
                for field in through.fields:
                    if field.is_relation and field.related_model is model:
                        cursor.execute(
                            f"DELETE FROM {qn(through.db_table)} WHERE {qn(field.column)} IN ({ids_sql})"
                        )
            continue  # a declared through model is reached by its own foreign keys
        field = rel.field
        if (
            child._meta.proxy
            or not child._meta.managed
            or child in path
            or child is model
            or not field.concrete
        ):
            continue
        target = field.target_field
        keys = (
            ids_sql
            if target.primary_key
            else f"SELECT {qn(target.column)} FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} IN ({ids_sql})"
        )
        child_ids = f"SELECT {qn(child._meta.pk.column)} FROM {qn(child._meta.db_table)} WHERE {qn(field.column)} IN ({keys})"
        _rows_and_dependents_delete(cursor, child, child_ids, (*path, model))
    cursor.execute(f"DELETE FROM {qn(meta.db_table)} WHERE {qn(meta.pk.column)} IN ({ids_sql})")


def _retailers_delete(code_like: str) -> None:
    """Remove the retailers whose code matches and everything that references them (orders, lines, summaries,
    allocation excess, events, duplicates…): what an earlier run imported, so every run creates the same rows.
    Django's foreign keys are deferred, so the order only has to be complete by the commit."""
    from accounts.models import Retailer

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE _bench_r AS SELECT id FROM accounts_retailer WHERE customer_code LIKE %s",
            [code_like],
        )
        _rows_and_dependents_delete(cursor, Retailer, "SELECT id FROM _bench_r")
        cursor.execute("DROP TABLE _bench_r")  # at once: inside an outer transaction the commit is far away


def cleanup():
    """Remove what an earlier run of this benchmark imported."""
    _retailers_delete(BENCH_PREFIX + "%")


def retailer_rows(count: int, rng: random.Random):
    from accounts.services import starting_tier_cap
    from users.models import Route

    tier_cap = starting_tier_cap()  # a new retailer's tier above the tier engine's cap is refused
    routes = list(Route.objects.filter(manager__isnull=False).select_related("org_unit__parent"))
    today = time.strftime("%Y-%m-%d")
    year = int(today[:4])
    formats = ["食杂店", "便利店", "烟酒商店", "超市"]
    serials: dict[str, int] = {}
    for i in range(count):
        route = routes[i % len(routes)]
        region = route.org_unit.parent.region_code
        serials[region] = serials.get(region, 60000) + 1
        issued = f"{year - 1 - i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        expires = f"{year + 3 - i % 3}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        yield [
            f"{BENCH_PREFIX}{i:08d}",
            f"{region}2{serials[region]:05d}",
            issued,
            expires,
            f"基准测试{rng.choice(formats)}{i}",
            f"测试{i % 1000}",
            f"139{rng.randint(0, 99_999_999):08d}",
            f"洛阳市测试路{i}号",
            rng.choice(["城镇", "乡村"]),
            rng.choice(formats),
            str(rng.randint(1, 3)),
            str(rng.randint(1, tier_cap)),
            "A",
            route.org_unit.name,
            route.code,
            "周三",
        ]


def write_csv(path: Path, header, rows, encoding: str) -> int:
    count = 0
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def _copy_baseline(path: Path, columns: int, encoding: str) -> float:
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


def _copy_into_table_like(table: str, where: str) -> float:
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


def import_file(path: Path, kind: str, user) -> tuple[float, object]:
    """Import the file at `path` as `user` the way a person does (upload, validate, commit), with no Celery
    worker; return the seconds it took and the committed job. BenchError unless every row validates."""
    from accounts.imports.services import import_job_commit, import_job_create, import_job_validate

    started = time.perf_counter()
    with path.open("rb") as fh:
        job = import_job_create(
            user=user, kind=kind, upload=File(fh, name=path.name), mode="all", enqueue=False
        )
    job = import_job_validate(job_id=job.pk)
    if job.status != "validated" or job.invalid_rows:
        raise BenchError(
            f"{kind} import did not validate cleanly: {job.status} {job.message} ({job.invalid_rows} bad rows)"
        )
    job = import_job_commit(job_id=job.pk, user=user, enqueue=False)
    return time.perf_counter() - started, job


def _import(path: Path, kind: str, user) -> tuple[float, object, MemoryWatch]:
    with MemoryWatch() as watch:
        seconds, job = import_file(path, kind, user)
    return seconds, job, watch


def _order_rows(count_lines: int, rng: random.Random):
    from accounts.models import Retailer
    from sales.models import Product

    licences = list(
        Retailer.objects.filter(customer_code__startswith=BENCH_PREFIX).values_list("licence_no", flat=True)
    )
    products = list(Product.objects.exclude(status="withdrawn").values_list("code", "wholesale_price_fen"))
    lines = 0
    week = 0
    while lines < count_lines:
        for n, licence in enumerate(licences):
            if lines >= count_lines:
                return
            day = time.strftime("%Y-%m-%d", time.localtime(time.time() - 86400 * (7 * week + 3)))
            chosen = rng.sample(products, k=min(LINES_PER_RETAILER, len(products), count_lines - lines))
            for code, price in chosen:
                cartons = rng.randint(1, 20)
                yield [
                    f"B{week:03d}{n:07d}",
                    licence,
                    day,
                    code,
                    str(cartons),
                    f"{price / 100:.2f}",
                    f"{cartons * price / 100:.2f}",
                ]
                lines += 1
        week += 1


def _peer_import_export(path: Path, rows: int) -> dict:
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
    _retailers_delete("PEERX%")
    import django

    return {
        "installed": True,
        "rows": len(dataset),
        "created": created,
        "seconds": round(seconds, 3),
        "rows_per_s": round(len(dataset) / seconds, 1),
        "django": django.get_version(),
    }


def import_user():
    """The login the benchmark imports as: an active admin, else a superuser."""
    from users.models import User

    user = (
        User.objects.filter(role="admin", is_active=True).first()
        or User.objects.filter(is_superuser=True).first()
    )
    if user is None:
        raise BenchError("no admin login to run imports as")
    return user


def run(*, scale: str, iterations: int, seed: int, stdout) -> dict:
    rng = random.Random(seed)
    n = SCALES[scale]
    ensure_org_and_products(stdout)
    user = import_user()
    results: dict = {"name": "import", "scale": scale, "environment": environment()}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        figures = {}
        # A tenth of the file first: the memory of the full import must not grow with the file.
        for label, rows in (("tenth", max(n // 10, 100)), ("full", n)):
            cleanup()
            retailer_file = folder / f"retailers-{label}.csv"
            write_csv(retailer_file, RETAILER_HEADER, retailer_rows(rows, rng), "gbk")
            copy_s = _copy_baseline(retailer_file, len(RETAILER_HEADER), "GBK")
            import_s, job, watch = _import(retailer_file, "retailers", user)
            if job.created_count != rows:
                raise BenchError(f"expected {rows} retailers created, got {job.created_count}")
            like_s = _copy_into_table_like("accounts_retailer", f"customer_code LIKE '{BENCH_PREFIX}%'")
            figures[label] = {
                "rows": rows,
                "copy_s": round(copy_s, 3),
                "import_s": round(import_s, 3),
                "copy_into_table_s": round(like_s, 3),
                "rss_growth_mb": watch.growth_mb,
                "peak_rss_mb": round(watch.peak, 1),
            }
        analyze("accounts_retailer")
        full = figures["full"]
        results["retailers"] = {
            "file": f"{n:,} rows, GBK CSV with Chinese headers",
            "baseline": {
                "what": "plain COPY of the same file into a bare text table",
                "seconds": full["copy_s"],
                "rows_per_s": round(n / full["copy_s"], 1),
            },
            "measured": {
                "seconds": full["import_s"],
                "rows_per_s": round(n / full["import_s"], 1),
                "what": "upload + detect + validate + stage + set-based checks + upsert + history",
            },
            "ratio": round(full["copy_s"] / full["import_s"], 3),
            "second_baseline": {
                "what": "COPY of the same rows, already normalised, into an empty table LIKE accounts_retailer "
                "(same indexes, constraints, generated columns; no validation, no history)",
                "seconds": full["copy_into_table_s"],
                "ratio": round(full["copy_into_table_s"] / full["import_s"], 3),
            },
            "memory": {
                "tenth_file_growth_mb": figures["tenth"]["rss_growth_mb"],
                "full_file_growth_mb": full["rss_growth_mb"],
                "peak_rss_mb": full["peak_rss_mb"],
            },
        }
        lines = n * LINES_PER_RETAILER
        order_file = folder / "orders.csv"
        written = write_csv(order_file, ORDER_HEADER, _order_rows(lines, rng), "utf-8")
        copy_s = _copy_baseline(order_file, len(ORDER_HEADER), "UTF8")
        import_s, job, watch = _import(order_file, "orders", user)
        results["orders"] = {
            "file": f"{written:,} order lines, UTF-8 CSV",
            "baseline": {
                "what": "plain COPY of the same file into a bare text table",
                "seconds": round(copy_s, 3),
                "rows_per_s": round(written / copy_s, 1),
            },
            "measured": {
                "seconds": round(import_s, 3),
                "rows_per_s": round(written / import_s, 1),
                "what": "validate + orders and lines upsert + period summaries",
            },
            "ratio": round(copy_s / import_s, 3),
            "memory": {"growth_mb": watch.growth_mb, "peak_rss_mb": round(watch.peak, 1)},
        }
        results["peer"] = _peer_import_export(folder / "retailers-full.csv", min(PEER_ROWS, n))
        if results["peer"].get("installed"):
            ours = results["retailers"]["measured"]["rows_per_s"]
            results["peer"]["ours_vs_peer"] = round(ours / results["peer"]["rows_per_s"], 1)
        cleanup()
    results["target"] = {"ratio_min": IMPORT_RATIO_MIN, "peak_rss_mb_max": 2048}
    results["baseline"] = results["retailers"]["baseline"]
    results["measured"] = {
        "retailers": results["retailers"]["measured"],
        "orders": results["orders"]["measured"],
    }
    results["ratio"] = {"retailers": results["retailers"]["ratio"], "orders": results["orders"]["ratio"]}
    return results


def summary_lines(result: dict) -> list[str]:
    r, o = result["retailers"], result["orders"]
    lines = [
        f"retailers: {r['measured']['rows_per_s']:,.0f} rows/s vs COPY {r['baseline']['rows_per_s']:,.0f} rows/s "
        f"-> ratio {r['ratio']} (target >= {IMPORT_RATIO_MIN}), vs COPY into an indexed table {r['second_baseline']['ratio']}; memory +{r['memory']['tenth_file_growth_mb']} MB at 1/10, "
        f"+{r['memory']['full_file_growth_mb']} MB at full",
        f"orders:    {o['measured']['rows_per_s']:,.0f} lines/s vs COPY {o['baseline']['rows_per_s']:,.0f} "
        f"-> ratio {o['ratio']}; memory +{o['memory']['growth_mb']} MB",
    ]
    peer = result.get("peer", {})
    if peer.get("installed"):
        lines.append(
            f"django-import-export: {peer['rows_per_s']:,.0f} rows/s on {peer['rows']} rows "
            f"(ours {peer['ours_vs_peer']}x)"
        )
    return lines
