"""Order files from the ordering platform (one row per order line), registered with the accounts import
pipeline: orders upserted by number, their lines replaced, the summaries refreshed."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports.cells import choice_map, parse_date, parse_int, parse_money_fen
from accounts.imports.models import ImportJob
from accounts.imports.pipeline import add_errors_sql, add_repeat_errors
from accounts.imports.spec import ImportSpec, RowProblem, register
from core.db import queryset_sql
from sales.models import Order

MAX_CARTONS_PER_LINE = 10_000


class OrderImport(ImportSpec):
    """One row per order line; lines of one order share its number, retailer and date."""

    kind = ImportJob.Kind.ORDERS
    models = (Order,)
    # none here: the upsert analyzes the month partitions it wrote (orders_upsert_from_staging), not the whole
    # partitioned tables, which would sample every month
    analyze_tables = ()
    aliases = {
        "order_no": ("订单号", "订单编号", "单号"),
        "licence_no": ("许可证号", "专卖许可证号", "licence"),
        "customer_code": ("客户编码", "客户代码"),
        "ordered_on": ("订货日期", "订单日期", "日期", "order_date"),
        "product_code": ("卷烟编码", "商品编码", "品规编码", "卷烟代码", "code"),
        "cartons": ("订购量", "数量", "条数", "订货量", "数量条", "quantity", "qty"),
        "unit_price": ("单价", "批发价", "价格", "price"),
        "amount": ("金额", "订货金额", "amount"),
        "source": ("来源", "订货方式"),
    }
    required = ("order_no", "ordered_on", "product_code", "cartons", "unit_price")
    staging_columns = (
        ("order_no", "text"),
        ("licence_no", "text"),
        ("customer_code", "text"),
        ("ordered_on", "date"),
        ("product_code", "text"),
        ("cartons", "integer"),
        ("unit_price_fen", "integer"),
        ("source", "text"),
        ("retailer_id", "bigint"),
        ("product_id", "bigint"),
    )
    examples = {
        "order_no": "DD20240501001",
        "licence_no": "410302100001",
        "customer_code": "",
        "ordered_on": "45413",
        "product_code": "6901028075763",
        "cartons": "5",
        "unit_price": "120.84",
        "amount": "604.20",
        "source": "网上",
    }
    notes = {
        "licence_no": gettext_lazy("许可证号和客户编码至少填一项。"),
        "customer_code": gettext_lazy("许可证号和客户编码至少填一项。"),
        "amount": gettext_lazy("填写时须等于订购量 × 单价。"),
    }
    labels = {
        "order_no": gettext_lazy("订单号"),
        "licence_no": gettext_lazy("许可证号"),
        "customer_code": gettext_lazy("客户编码"),
        "ordered_on": gettext_lazy("订货日期"),
        "product_code": gettext_lazy("卷烟编码"),
        "cartons": gettext_lazy("订购量"),
        "unit_price": gettext_lazy("单价"),
        "amount": gettext_lazy("金额"),
        "source": gettext_lazy("来源"),
    }

    def prepare(self, ctx):
        ctx.lookups = {"source": choice_map(Order.Source.choices, {"网上": "online", "电话": "phone"})}

    def clean(self, raw, ctx):
        problems = []

        def bad(name, message):
            problems.append(RowProblem(name, raw.get(name, ""), str(message)))

        order_no = raw.get("order_no", "")
        if not order_no:
            bad("order_no", _("不能为空。"))
        elif len(order_no) > 40:
            bad("order_no", _("超过 %(n)s 个字符。") % {"n": 40})
        licence, code = raw.get("licence_no") or None, raw.get("customer_code") or None
        if not licence and not code:
            bad("licence_no", _("许可证号和客户编码至少填一项。"))
        ordered_on = None
        try:
            ordered_on = parse_date(raw.get("ordered_on", ""))
            if ordered_on > ctx.today:
                bad("ordered_on", _("订货日期不能晚于今天。"))
        except ValueError:
            bad("ordered_on", _("日期格式应为 2024-05-01。"))
        product = raw.get("product_code") or None
        if not product:
            bad("product_code", _("不能为空。"))
        cartons = None
        try:
            cartons = parse_int(raw.get("cartons", ""))
            if not 1 <= cartons <= MAX_CARTONS_PER_LINE:
                raise ValueError
        except ValueError:
            cartons = None
            bad("cartons", _("订购量应为 1–%(max)s 的整数（条）。") % {"max": MAX_CARTONS_PER_LINE})
        price = None
        try:
            price = parse_money_fen(raw.get("unit_price", ""))
            if price <= 0:
                raise ValueError
        except ValueError:
            price = None
            bad("unit_price", _("单价应为大于 0 的金额（元/条）。"))
        if raw.get("amount") and cartons and price:
            try:
                if parse_money_fen(raw["amount"]) != cartons * price:
                    bad(
                        "amount",
                        _("金额与“订购量 × 单价”不符（应为 %(v).2f 元）。") % {"v": cartons * price / 100},
                    )
            except ValueError:
                bad("amount", _("金额格式不正确。"))
        source = "import"
        if raw.get("source"):
            source = ctx.lookups["source"].get(raw["source"].lower())
            if source is None:
                bad("source", _("来源应为 网上订货、电话订货 或 文件导入。"))
        return (
            order_no or None,
            licence,
            code,
            ordered_on,
            product,
            cartons,
            price,
            source,
            None,
            None,
        ), problems

    def check(self, *, cursor, job, table):
        from accounts.selectors import retailer_scope

        scope_sql, scope_params = queryset_sql(retailer_scope(user=job.created_by).values("id"))
        cursor.execute(f"""
            UPDATE {table} s SET retailer_id = r.id FROM accounts_retailer r WHERE r.licence_no = s.licence_no;
            UPDATE {table} s SET retailer_id = r.id FROM accounts_retailer r
             WHERE s.retailer_id IS NULL AND s.licence_no IS NULL AND r.customer_code = s.customer_code;
            UPDATE {table} s SET product_id = p.id FROM sales_product p WHERE p.code = s.product_code;
        """)
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="licence_no",
            value_sql="coalesce(s.licence_no, s.customer_code)",
            message=_("系统中没有这家零售客户（或不在您的辖区）。"),
            where_params=[*scope_params],
            where=f"(s.licence_no IS NOT NULL OR s.customer_code IS NOT NULL) AND (s.retailer_id IS NULL "
            f"OR s.retailer_id NOT IN ({scope_sql}))",
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="product_code",
            value_sql="s.product_code",
            message=_("系统中没有这个卷烟编码，请先导入品规。"),
            where="s.product_code IS NOT NULL AND s.product_id IS NULL",
        )
        add_repeat_errors(
            cursor,
            job=job,
            table=table,
            column="product_code",
            within=("order_no",),
            message=_("同一订单中该卷烟重复出现，与第 %s 行相同。"),
        )
        cursor.execute(
            'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
            f"SELECT %s, s.row_no, 'order_no', s.order_no, %s FROM {table} s JOIN ("
            f"  SELECT order_no FROM {table} WHERE order_no IS NOT NULL GROUP BY order_no "
            "   HAVING count(DISTINCT (retailer_id, ordered_on, source)) > 1) bad USING (order_no)",
            [job.pk, _("同一订单号的各行客户、日期或来源不一致。")],
        )
        # An order is all or nothing: one bad line rejects its other lines too.
        cursor.execute(
            'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
            f"SELECT %s, s.row_no, 'order_no', s.order_no, %s FROM {table} s "
            f"WHERE s.order_no IN (SELECT t.order_no FROM {table} t JOIN accounts_importrowerror e "
            "  ON e.job_id = %s AND e.row_no = t.row_no) "
            "AND NOT EXISTS (SELECT 1 FROM accounts_importrowerror e WHERE e.job_id = %s AND e.row_no = s.row_no)",
            [job.pk, _("同一订单的其他行有错误，整单未导入。"), job.pk, job.pk],
        )

    def upsert(self, *, cursor, job, table):
        from sales.services import orders_upsert_from_staging

        return orders_upsert_from_staging(cursor=cursor, table=table)


register(OrderImport())
