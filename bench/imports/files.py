"""The benchmark's import files (retailers in GBK with Chinese headers, order lines in UTF-8), the org units and
products they refer to, and the removal of what an import of them wrote (marked by BENCH_PREFIX)."""

import csv
import random
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection, transaction

LINES_PER_RETAILER = 5

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


def retailers_delete(code_like: str) -> None:
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
    retailers_delete(BENCH_PREFIX + "%")


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


def order_rows(count_lines: int, rng: random.Random):
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
