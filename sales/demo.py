"""Demo products and a year of weekly orders for `seed_demo`, generated with numpy and loaded with COPY.

Shape: volumes by tier and scale, price mix by format and tier, a Spring Festival peak (the four weeks before
the festival) and a dip in its week, some retailers lapsing (stop ordering part-way), new retailers starting
when their licence was issued, weekly orders on the retailer's order weekday."""

import datetime
import io

import numpy as np
from django.db import connection, transaction

from core.db import tables_analyze
from sales.models import Product
from sales.services import period_summaries_rebuild, product_price_classes_refresh

# (brand, manufacturer, in-province, [(spec name, wholesale yuan/carton, retail yuan/carton, tar mg)])
CATALOGUE = (
    (
        "中华",
        "上海烟草集团",
        False,
        [("硬", 375, 450, 11), ("软", 580, 700, 11), ("双中支", 375, 450, 10), ("金中支", 420, 500, 8)],
    ),
    (
        "玉溪",
        "红塔烟草集团",
        False,
        [("软", 190, 230, 11), ("硬", 170, 200, 11), ("细支", 210, 250, 8), ("和谐", 240, 280, 10)],
    ),
    (
        "云烟",
        "红云红河集团",
        False,
        [("紫", 95, 110, 11), ("软珍品", 190, 220, 11), ("细支大重九", 580, 700, 8), ("印象", 260, 300, 10)],
    ),
    (
        "黄鹤楼",
        "湖北中烟",
        False,
        [
            ("软蓝", 160, 190, 11),
            ("硬珍品", 190, 230, 10),
            ("天下名楼", 125, 150, 10),
            ("1916", 700, 1000, 10),
        ],
    ),
    ("芙蓉王", "湖南中烟", False, [("硬", 210, 250, 11), ("软蓝", 300, 350, 10), ("细支", 250, 290, 8)]),
    ("利群", "浙江中烟", False, [("新版", 125, 150, 11), ("软红长嘴", 210, 250, 11), ("阳光", 155, 180, 10)]),
    ("南京", "江苏中烟", False, [("红", 100, 120, 10), ("炫赫门", 155, 180, 8), ("九五", 850, 1000, 8)]),
    ("苏烟", "江苏中烟", False, [("五星红杉树", 250, 300, 10), ("软金砂", 380, 450, 10)]),
    ("双喜", "广东中烟", False, [("硬经典", 50, 60, 11), ("红双喜", 62, 75, 11), ("硬国际", 120, 140, 11)]),
    (
        "红塔山",
        "红塔烟草集团",
        False,
        [("硬经典", 80, 100, 11), ("软经典", 62, 75, 11), ("新势力", 110, 130, 10)],
    ),
    ("白沙", "湖南中烟", False, [("硬", 38, 45, 11), ("精品", 85, 100, 10), ("和天下", 900, 1000, 8)]),
    (
        "黄金叶",
        "河南中烟",
        True,
        [
            ("乐途", 125, 150, 10),
            ("天叶", 850, 1000, 8),
            ("大金圆", 65, 80, 11),
            ("红旗渠", 38, 45, 11),
            ("浓香中支", 210, 250, 8),
            ("商鼎", 100, 120, 10),
        ],
    ),
    ("帝豪", "河南中烟", True, [("硬", 45, 55, 11), ("软红", 32, 38, 11)]),
    (
        "红旗渠",
        "河南中烟",
        True,
        [("银河之光", 82, 100, 11), ("芒果", 62, 75, 11), ("硬", 29, 35, 11), ("雪松", 25, 30, 11)],
    ),
    ("泰山", "山东中烟", False, [("红将军", 85, 100, 11), ("望岳", 155, 180, 10), ("心悦", 210, 250, 8)]),
    ("真龙", "广西中烟", False, [("硬", 85, 100, 11), ("起源", 170, 200, 10)]),
    ("娇子", "四川中烟", False, [("宽窄好运", 125, 150, 10), ("X", 62, 75, 11)]),
    ("长白山", "吉林烟草", False, [("777", 125, 150, 10), ("硬红", 45, 55, 11)]),
    ("七匹狼", "福建中烟", False, [("红", 62, 75, 11), ("纯雅", 155, 180, 10)]),
    ("钻石", "河北中烟", False, [("硬", 45, 55, 11), ("荷花", 300, 350, 10)]),
    ("大前门", "上海烟草集团", False, [("短支", 28, 35, 11), ("软", 38, 45, 11)]),
    ("红金龙", "湖北中烟", False, [("硬", 32, 38, 11), ("晓楼", 85, 100, 10)]),
    ("贵烟", "贵州中烟", False, [("跨越", 210, 250, 8), ("国酒香", 300, 350, 10)]),
    ("哈德门", "山东中烟", False, [("精品", 28, 33, 11)]),
    ("兰州", "甘肃烟草", False, [("硬吉祥", 155, 180, 10), ("硬", 65, 80, 11)]),
)


REPERTOIRE = 14  # products a shop keeps in rotation


FADE_FLOOR = 0.3  # a lapsing shop's order chance and volume in its last week, as a share of its usual


WITHDRAWN_WEEKS_AGO = 16  # withdrawn products were on sale until this many weeks ago


# Spring Festival dates, for the seasonal peak
SPRING_FESTIVAL = {
    2024: datetime.date(2024, 2, 10),
    2025: datetime.date(2025, 1, 29),
    2026: datetime.date(2026, 2, 17),
    2027: datetime.date(2027, 2, 6),
}


def demo_products_build(*, today: datetime.date | None = None) -> list[Product]:
    """About 80 real-looking products; a few trial and withdrawn ones with substitutes."""
    products = []
    serial = 0
    for brand, maker, in_province, specs in CATALOGUE:
        for name, wholesale, retail, tar in specs:
            serial += 1
            products.append(
                Product(
                    code=f"69{serial:05d}",
                    brand=brand,
                    name=f"{brand}（{name}）",
                    manufacturer=maker,
                    wholesale_price_fen=wholesale * 100,
                    retail_price_fen=retail * 100,
                    tar_mg=tar,
                    is_in_province=in_province,
                    is_scarce=wholesale >= 550 or name in ("细支大重九", "1916"),
                    status=Product.Status.ACTIVE,
                )
            )
    with transaction.atomic():
        Product.objects.bulk_create(products)
        saved = list(Product.objects.order_by("id"))
        by_name = {p.name: p for p in saved}
        # Withdrawn products with a substitute of the same band, and two on trial.
        for old, new in (("红旗渠（雪松）", "红旗渠（硬）"), ("双喜（硬经典）", "双喜（红双喜）")):
            if old in by_name:
                Product.objects.filter(pk=by_name[old].pk).update(
                    status=Product.Status.WITHDRAWN, substitute=by_name.get(new, by_name.get("红旗渠（硬）"))
                )
        trial_start = (today or datetime.date.today()) - datetime.timedelta(days=60)  # noqa: DTZ011
        Product.objects.filter(name__in=["黄金叶（浓香中支）", "泰山（心悦）"]).update(
            status=Product.Status.TRIAL, trial_started_on=trial_start
        )
        product_price_classes_refresh()
    return list(Product.objects.order_by("id"))


def _season(day: datetime.date) -> float:
    for festival in (SPRING_FESTIVAL.get(day.year), SPRING_FESTIVAL.get(day.year + 1)):
        if festival is None:
            continue
        days_before = (festival - day).days
        if 0 < days_before <= 28:
            return 1.9 - days_before / 56  # rising to ~1.9x in the last week before the festival
        if -7 < days_before <= 0:
            return 0.45  # the festival week itself: shops are shut or sold out
    return 1.0 + 0.08 * np.sin((day.timetuple().tm_yday / 365.0) * 2 * np.pi)  # mild summer/winter swing


def demo_orders_build(
    *, weeks: int, seed: int = 7, stdout=None, today: datetime.date | None = None
) -> tuple[int, int]:
    """Weekly orders for every retailer over the `weeks` weeks up to `today` (by default the real today),
    loaded with COPY; then the period summaries and the retailer × product weeks are computed from the lines. Returns (orders, lines)."""
    rng = np.random.default_rng(seed)
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT r.id, r.tier, r.scale, r.business_format, r.status, r.order_channel, coalesce(r.order_weekday, 1),
                   r.licence_issued_on
            FROM accounts_retailer r ORDER BY r.id
        """)
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT id, wholesale_price_fen, price_class, status, substitute_id FROM sales_product ORDER BY id"
        )
        products = cursor.fetchall()
    if not rows or not products:
        return 0, 0
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    tier = np.array([r[1] or 12 for r in rows], dtype=np.float64)
    scale = np.array([int(r[2]) for r in rows])
    fmt = np.array([r[3] for r in rows])
    active = np.array([r[4] == "active" for r in rows])
    phone = np.array([r[5] == "phone" for r in rows])
    weekday = np.array([r[6] for r in rows], dtype=np.int64)
    issued = np.array([r[7] for r in rows], dtype="datetime64[D]")
    n = len(ids)
    prod_id = np.array([p[0] for p in products], dtype=np.int64)
    prod_price = np.array([p[1] for p in products], dtype=np.int64)
    prod_class = np.array([p[2] or 3 for p in products], dtype=np.int64)
    orderable = np.array([p[3] != "withdrawn" for p in products])
    substitute_of = {i: p[4] for i, p in enumerate(products) if p[3] == "withdrawn" and p[4]}

    # Volume: cartons per week grow with tier; bigger shops and tobacco/liquor stores buy more.
    base = np.exp(1.2 + tier * 0.11) * np.where(scale == 1, 1.4, np.where(scale == 2, 1.0, 0.75))
    base *= np.where(np.isin(fmt, ["Y", "S", "N"]), 1.35, 1.0)
    # Price preference: higher tiers and Y/S/N formats lean to classes 1–2.
    upscale = np.clip((tier - 8) / 22 + np.where(np.isin(fmt, ["Y", "S", "N"]), 0.25, 0.0), 0, 1.2)
    repertoire = np.empty((n, REPERTOIRE), dtype=np.int64)
    for i in range(n):
        weights = np.exp(-np.abs(prod_class - (4.6 - 3.4 * upscale[i])) * 1.1) * orderable
        weights = weights / weights.sum()
        repertoire[i] = rng.choice(len(prod_id), size=REPERTOIRE, replace=False, p=weights)
    repertoire_before = _repertoire_before_withdrawals(
        repertoire, substitute_of, prod_id, prod_class, np.random.default_rng(seed + 2)
    )
    withdrawn_week = weeks - WITHDRAWN_WEEKS_AGO
    lines_per_order = np.clip(
        np.where(scale == 1, 8, np.where(scale == 2, 5, 3)) + rng.integers(-2, 3, n), 1, 10
    )
    # Lapsing retailers stop ordering at some week; suspended/closed ones stopped long ago.
    lapse_week = np.where(rng.random(n) < 0.06, rng.integers(weeks // 3, weeks, n), weeks + 1)
    lapse_week = np.where(active, lapse_week, rng.integers(0, max(weeks // 4, 1), n))
    weekly_prob = np.where(tier >= 10, 0.93, 0.82)
    # Shops wind down before they stop: over their last 4–10 weeks they order less often and less each time
    # (never for shops that stay). Drawn from a second generator so every other shop's orders stay what this
    # seed always gave.
    fade_weeks = np.random.default_rng(seed + 1).integers(4, 11, n)
    fade_start = np.where(lapse_week <= weeks, lapse_week - fade_weeks, weeks + 1)

    today = today or datetime.date.today()  # noqa: DTZ011 - calendar dates for demo data
    first_monday = today - datetime.timedelta(days=today.weekday() + 7 * weeks)
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM sales_order")
        next_order_id = cursor.fetchone()[0] + 1
        superuser = _is_superuser(cursor)
    total_orders = total_lines = 0
    with transaction.atomic(), connection.cursor() as cursor:
        # every month written has its partitions before the COPY (the first week's row starts on first_monday)
        cursor.execute("SELECT sales_history_partitions_ensure(%s, %s)", [first_monday, today])
        if superuser:
            # Skip per-row foreign-key triggers while loading generated rows (checked once below).
            cursor.execute("SET LOCAL session_replication_role = replica")
        for w in range(weeks):
            monday = first_monday + datetime.timedelta(weeks=w)
            season = _season(monday)
            started = issued <= np.datetime64(monday + datetime.timedelta(days=6))
            # 1 until the fade starts, then falling linearly towards FADE_FLOOR at the lapse week
            fade = 1 - (1 - FADE_FLOOR) * np.clip((w - fade_start) / fade_weeks, 0, 1)
            ordering = started & (w < lapse_week) & (rng.random(n) < weekly_prob * fade)
            idx = np.nonzero(ordering)[0]
            if idx.size == 0:
                continue
            k = idx.size
            order_ids = np.arange(next_order_id, next_order_id + k, dtype=np.int64)
            next_order_id += k
            days = np.array(monday, dtype="datetime64[D]") + (weekday[idx] - 1)
            total = np.maximum(
                1, np.round(base[idx] * fade[idx] * season * rng.lognormal(0, 0.25, k))
            ).astype(np.int64)
            n_lines = np.minimum(lines_per_order[idx], np.maximum(1, total))
            line_order = np.repeat(np.arange(k), n_lines)
            offsets = np.arange(line_order.size) - np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
            start_col = rng.integers(0, REPERTOIRE, k)
            cols = (np.repeat(start_col, n_lines) + offsets) % REPERTOIRE
            line_product = (repertoire_before if w < withdrawn_week else repertoire)[idx[line_order], cols]
            share = rng.uniform(0.5, 1.5, line_order.size)
            cartons = np.maximum(1, np.round(np.repeat(total / n_lines, n_lines) * share)).astype(np.int64)
            price = prod_price[line_product]
            amount = cartons * price
            order_cartons = np.bincount(line_order, weights=cartons, minlength=k).astype(np.int64)
            order_amount = np.bincount(line_order, weights=amount, minlength=k).astype(np.int64)
            day_text = np.datetime_as_string(days)
            compact = np.char.replace(day_text, "-", "")
            order_no = np.char.add(np.char.add("XSM", compact), np.char.zfill(ids[idx].astype(str), 8))
            source = np.where(phone[idx], "phone", "online")
            _copy(
                cursor,
                "sales_order",
                (
                    "id",
                    "order_no",
                    "source",
                    "retailer_id",
                    "ordered_on",
                    "cartons",
                    "amount_fen",
                    "created_at",
                ),
                [
                    order_ids,
                    order_no,
                    source,
                    ids[idx],
                    day_text,
                    order_cartons,
                    order_amount,
                    np.char.add(day_text, " 20:00:00+08"),
                ],
            )
            _copy(
                cursor,
                "sales_orderline",
                ("order_id", "ordered_on", "product_id", "cartons", "unit_price_fen", "amount_fen"),
                [order_ids[line_order], day_text[line_order], prod_id[line_product], cartons, price, amount],
            )
            total_orders += k
            total_lines += line_order.size
            if stdout and (w % 8 == 7 or w == weeks - 1):
                stdout.write(f"  week {w + 1}/{weeks}: {total_orders:,} orders, {total_lines:,} lines")
        cursor.execute("SELECT setval('sales_order_id_seq', (SELECT max(id) FROM sales_order))")
        # The loads above are followed by the orphan check and the summaries: plan them with real row counts.
        tables_analyze(cursor, "sales_order", "sales_orderline")
        if superuser:
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute("""SELECT count(*) FROM sales_orderline l LEFT JOIN sales_order o
                              ON o.id = l.order_id AND o.ordered_on = l.ordered_on WHERE o.id IS NULL""")
            if cursor.fetchone()[0]:
                raise RuntimeError("generated order lines reference missing orders")
    period_summaries_rebuild()
    return total_orders, total_lines


def _repertoire_before_withdrawals(repertoire, substitute_of, prod_id, prod_class, rng) -> np.ndarray:
    """The repertoires as they were before the withdrawn products left the market: half of the shops that now
    stock a withdrawn product's substitute stocked the withdrawn one instead (they switched), and a few others
    stocked it in place of a product of its price class (they dropped it and never took up the substitute, so
    the substitute is still to recommend to them)."""
    before = repertoire.copy()
    index_of = {pid: i for i, pid in enumerate(prod_id)}
    for withdrawn, substitute_id in substitute_of.items():
        substitute = index_of.get(substitute_id)
        if substitute is None:
            continue
        draw = rng.random(len(repertoire))
        has_substitute = (repertoire == substitute).any(axis=1)
        switched = has_substitute & (draw < 0.5)
        before[switched] = np.where(before[switched] == substitute, withdrawn, before[switched])
        same_class = prod_class[repertoire] == prod_class[withdrawn]
        others = ~has_substitute & same_class.any(axis=1) & (draw < 0.15)
        slot = same_class.argmax(axis=1)
        before[others, slot[others]] = withdrawn
    return before


def _is_superuser(cursor) -> bool:
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    return bool(cursor.fetchone()[0])


def _copy(cursor, table: str, columns, arrays) -> None:
    """COPY columns given as numpy arrays (all the same length) into `table`."""
    text = "\n".join("\t".join(row) for row in zip(*(a.astype(str) for a in arrays), strict=True))
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", io.StringIO(text + "\n"))


def demo_sales_flush() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE sales_retailerperiodsummary, sales_retailerproductsummary, sales_orderline, sales_order, "
            "sales_ordernumber, sales_product CASCADE"
        )
