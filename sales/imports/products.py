"""Product files from the ordering platform (the catalogue with its prices), registered with the accounts import
pipeline: upsert by product code."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports.cells import choice_map, parse_bool, parse_date, parse_money_fen
from accounts.imports.models import ImportJob
from accounts.imports.pipeline import add_errors_sql, add_repeat_errors
from accounts.imports.spec import ImportSpec, RowProblem, register
from sales.models import Product


class ProductImport(ImportSpec):
    kind = ImportJob.Kind.PRODUCTS
    models = (Product,)
    aliases = {
        "code": ("卷烟编码", "商品编码", "品规编码", "卷烟代码", "product_code"),
        "brand": ("品牌", "卷烟品牌"),
        "name": ("规格名称", "卷烟名称", "品规名称", "商品名称", "product_name"),
        "manufacturer": ("生产企业", "厂家", "工业公司"),
        "wholesale_price": ("批发价", "批发价元条", "批发价格", "wholesale"),
        "retail_price": ("建议零售价", "零售价", "零售价元条", "retail"),
        "tar_mg": ("焦油量", "焦油", "tar"),
        "is_in_province": ("省内品牌", "是否省内"),
        "is_scarce": ("紧俏", "紧俏货源", "是否紧俏"),
        "status": ("状态", "品规状态"),
        "trial_started_on": ("试销开始", "试销日期", "上市日期"),
        "substitute_code": ("替代品规", "替代卷烟编码", "substitute"),
    }
    required = ("code", "brand", "name", "wholesale_price", "retail_price")
    staging_columns = (
        ("code", "text"),
        ("brand", "text"),
        ("name", "text"),
        ("manufacturer", "text"),
        ("wholesale_price_fen", "integer"),
        ("retail_price_fen", "integer"),
        ("tar_mg", "numeric(4,1)"),
        ("is_in_province", "boolean"),
        ("is_scarce", "boolean"),
        ("status", "text"),
        ("trial_started_on", "date"),
        ("substitute_code", "text"),
    )
    examples = {
        "code": "6901028075763",
        "brand": "七匹狼",
        "name": "七匹狼（红）",
        "manufacturer": "福建中烟工业有限责任公司",
        "wholesale_price": "120.84",
        "retail_price": "¥150",
        "tar_mg": "10",
        "is_in_province": "否",
        "is_scarce": "否",
        "status": "在销",
        "trial_started_on": "2024-03-01",
        "substitute_code": "",
    }
    labels = {
        "code": gettext_lazy("卷烟编码"),
        "brand": gettext_lazy("品牌"),
        "name": gettext_lazy("规格名称"),
        "manufacturer": gettext_lazy("生产企业"),
        "wholesale_price": gettext_lazy("批发价"),
        "retail_price": gettext_lazy("建议零售价"),
        "tar_mg": gettext_lazy("焦油量"),
        "is_in_province": gettext_lazy("省内品牌"),
        "is_scarce": gettext_lazy("紧俏"),
        "status": gettext_lazy("状态"),
        "trial_started_on": gettext_lazy("试销开始"),
        "substitute_code": gettext_lazy("替代品规"),
    }

    def prepare(self, ctx):
        ctx.lookups = {"status": choice_map(Product.Status.choices, {"在销": "active", "停产": "withdrawn"})}

    def clean(self, raw, ctx):
        problems = []

        def bad(name, message):
            problems.append(RowProblem(name, raw.get(name, ""), str(message)))

        values = {}
        for name, limit in (("code", 20), ("brand", 50), ("name", 100), ("manufacturer", 100)):
            value = raw.get(name, "")
            if not value and name in self.required:
                bad(name, _("不能为空。"))
            elif len(value) > limit:
                bad(name, _("超过 %(n)s 个字符。") % {"n": limit})
            values[name] = value or None
        for name in ("wholesale_price", "retail_price"):
            try:
                fen = parse_money_fen(raw.get(name, ""))
                if fen <= 0:
                    raise ValueError
                values[name] = fen
            except ValueError:
                values[name] = None
                bad(name, _("价格应为大于 0 的金额（元/条，最多两位小数）。"))
        if (
            values["wholesale_price"]
            and values["retail_price"]
            and values["retail_price"] < values["wholesale_price"]
        ):
            bad("retail_price", _("建议零售价不能低于批发价。"))
        values["tar_mg"] = None
        if raw.get("tar_mg"):
            try:
                tar = round(float(raw["tar_mg"].removesuffix("mg")), 1)
                if not 0 <= tar <= 20:
                    raise ValueError
                values["tar_mg"] = tar
            except ValueError:
                bad("tar_mg", _("焦油量应为 0–20 的数字（毫克）。"))
        for name in ("is_in_province", "is_scarce"):
            values[name] = None
            if raw.get(name):
                try:
                    values[name] = parse_bool(raw[name])
                except ValueError:
                    bad(name, _("请填“是”或“否”。"))
        values["status"] = None
        if raw.get("status"):
            values["status"] = ctx.lookups["status"].get(raw["status"].lower())
            if values["status"] is None:
                bad("status", _("状态应为 试销、正常 或 退市。"))
        values["trial_started_on"] = None
        if raw.get("trial_started_on"):
            try:
                values["trial_started_on"] = parse_date(raw["trial_started_on"])
            except ValueError:
                bad("trial_started_on", _("日期格式应为 2024-05-01。"))
        values["substitute_code"] = raw.get("substitute_code") or None
        row = (
            values["code"],
            values["brand"],
            values["name"],
            values["manufacturer"],
            values["wholesale_price"],
            values["retail_price"],
            values["tar_mg"],
            values["is_in_province"],
            values["is_scarce"],
            values["status"],
            values["trial_started_on"],
            values["substitute_code"],
        )
        return row, problems

    def check(self, *, cursor, job, table):
        add_repeat_errors(
            cursor, job=job, table=table, column="code", message=_("文件内卷烟编码重复，与第 %s 行相同。")
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="substitute_code",
            value_sql="s.substitute_code",
            message=_("替代品规不存在（既不在系统中，也不在本文件中）。"),
            where="s.substitute_code IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sales_product p "
            "WHERE p.code = s.substitute_code) AND NOT EXISTS (SELECT 1 FROM " + table + " t "
            "WHERE t.code = s.substitute_code)",
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="substitute_code",
            value_sql="s.substitute_code",
            message=_("替代品规不能是它自己。"),
            where="s.substitute_code = s.code",
        )

    def upsert(self, *, cursor, job, table):
        mapped = set(job.column_mapping)
        columns = {
            "brand": "s.brand",
            "name": "s.name",
            "manufacturer": "coalesce(s.manufacturer, '')",
            "wholesale_price_fen": "s.wholesale_price_fen",
            "retail_price_fen": "s.retail_price_fen",
            "tar_mg": "s.tar_mg",
            "is_in_province": "coalesce(s.is_in_province, false)",
            "is_scarce": "coalesce(s.is_scarce, false)",
            "status": "coalesce(s.status, 'active')",
            "trial_started_on": "s.trial_started_on",
        }
        source_of = {"wholesale_price_fen": "wholesale_price", "retail_price_fen": "retail_price"}
        updatable = [c for c in columns if source_of.get(c, c) in mapped]
        distinct = (
            f"({', '.join(f'p.{c}' for c in updatable)}) IS DISTINCT FROM "
            f"({', '.join(f'EXCLUDED.{c}' for c in updatable)})"
        )
        cursor.execute(f"""
            WITH written AS (
              INSERT INTO sales_product AS p (code, {", ".join(columns)}, price_class, updated_at)
              SELECT s.code, {", ".join(columns.values())}, NULL, now() FROM {table} s WHERE s.ok ORDER BY s.row_no
              ON CONFLICT (code) DO UPDATE SET {", ".join(f"{c} = EXCLUDED.{c}" for c in updatable)}, updated_at = now()
              WHERE {distinct}
              RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
        """)
        created, updated = cursor.fetchone()
        # an empty substitute cell clears the substitute, as an empty cell does elsewhere
        if "substitute_code" in mapped:
            cursor.execute(f"""
                UPDATE sales_product p SET substitute_id = sub.id FROM {table} s LEFT JOIN sales_product sub
                  ON sub.code = s.substitute_code
                WHERE s.ok AND p.code = s.code AND p.substitute_id IS DISTINCT FROM sub.id
            """)
        from sales.services import product_price_classes_refresh

        product_price_classes_refresh(cursor=cursor)
        cursor.execute(f"SELECT count(*) FROM {table} WHERE ok")
        return created, updated, cursor.fetchone()[0] - created - updated


register(ProductImport())
