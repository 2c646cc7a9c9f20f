"""Retailer master data from the licence office: upsert by licence number."""

import datetime
import re

import pgtrigger
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports.models import ImportJob
from accounts.imports.pipeline import (
    WARNINGS_SHOWN,
    CleanContext,
    ImportSpec,
    RowProblem,
    add_errors_sql,
    add_repeat_errors,
    choice_map,
    parse_bool,
    parse_date,
    parse_int,
    register,
)
from accounts.models import MAX_LICENCE_YEARS, Retailer
from accounts.parsers import id_card_normalise, licence_parse, mobile_normalise
from accounts.services import (
    LOCKED_FIELDS,
    RETAILER_TRIGGERS,
    history_context_create,
    retailer_events_insert_sql,
    starting_tier_cap,
)
from users.models import User

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# field -> header aliases accepted in files (Chinese first; the field name itself is always accepted)
ALIASES = {
    "customer_code": ("客户编码", "客户代码", "客户编号"),
    "licence_no": ("许可证号", "许可证号码", "专卖许可证号", "烟草专卖零售许可证号", "license_no", "licence"),
    "licence_issued_on": ("发证日期", "许可证发证日期", "issued_on"),
    "licence_expires_on": ("有效期至", "许可证有效期至", "有效期止", "到期日期", "expires_on"),
    "licence_status": ("许可证状态",),
    "shop_name": ("店铺名称", "企业名称", "字号名称", "客户名称", "店名", "shop"),
    "owner_name": ("负责人", "经营者", "负责人姓名", "法定代表人", "owner"),
    "owner_id_number": ("身份证号", "身份证号码", "负责人身份证号", "id_number"),
    "owner_birthday": ("生日", "负责人生日", "出生日期", "birthday"),
    "mobile": ("手机号", "手机号码", "联系电话", "联系手机", "电话", "phone"),
    "email": ("邮箱", "电子邮箱", "e-mail"),
    "address": ("经营地址", "地址", "经营场所"),
    "latitude": ("纬度", "lat"),
    "longitude": ("经度", "lng", "lon"),
    "market_type": ("市场类型", "城乡类型", "market"),
    "business_format": ("经营业态", "业态", "format"),
    "scale": ("经营规模", "规模"),
    "tier": ("档位", "客户档位"),
    "credit_grade": ("信用等级", "诚信等级", "credit"),
    "shop_area_m2": ("经营面积", "面积", "area"),
    "is_night_shop": ("夜间营业", "是否夜间营业", "night_shop"),
    "org_unit": ("营销部", "所属营销部", "所属单位", "department"),
    "route": ("服务线路", "线路编码", "客户经理线路", "route_code"),
    "delivery_route": ("配送线路", "送货线路"),
    "order_weekday": ("订货日", "订货周期", "weekday"),
    "order_channel": ("订货方式", "订货渠道", "channel"),
    "payment_method": ("结算方式", "付款方式", "payment"),
    "bank_account": ("银行账号", "扣款账号", "bank"),
    "status": ("客户状态", "经营状态"),
}
REQUIRED = (
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
)

# Columns written to the retailer table, in staging order; resolved ids are added by check().
VALUE_COLUMNS = (
    ("customer_code", "text"),
    ("licence_no", "text"),
    ("licence_issued_on", "date"),
    ("licence_expires_on", "date"),
    ("licence_status", "text"),
    ("shop_name", "text"),
    ("owner_name", "text"),
    ("owner_id_number", "text"),
    ("owner_birthday", "date"),
    ("mobile", "text"),
    ("email", "text"),
    ("address", "text"),
    ("latitude", "numeric(9,6)"),
    ("longitude", "numeric(9,6)"),
    ("market_type", "text"),
    ("business_format", "text"),
    ("scale", "text"),
    ("tier", "smallint"),
    ("credit_grade", "text"),
    ("shop_area_m2", "integer"),
    ("is_night_shop", "boolean"),
    ("delivery_route", "text"),
    ("order_weekday", "smallint"),
    ("order_channel", "text"),
    ("payment_method", "text"),
    ("bank_account", "text"),
    ("status", "text"),
)
# Defaults for a new retailer when the file lacks the column (Django defaults are not database defaults).
INSERT_DEFAULTS = {
    "licence_status": "'valid'",
    "owner_id_number": "''",
    "email": "''",
    "credit_grade": "'A'",
    "is_night_shop": "false",
    "delivery_route": "''",
    "order_channel": "'online'",
    "payment_method": "'bank'",
    "bank_account": "''",
    "status": "'active'",
}
WEEKDAYS = {
    "周一": 1,
    "周二": 2,
    "周三": 3,
    "周四": 4,
    "周五": 5,
    "周六": 6,
    "周日": 7,
    "星期一": 1,
    "星期二": 2,
    "星期三": 3,
    "星期四": 4,
    "星期五": 5,
    "星期六": 6,
    "星期日": 7,
    "星期天": 7,
    "周天": 7,
}


def customer_code_required() -> bool:
    """The configurable rule for a row without a customer code (settings.CRM_IMPORT_CUSTOMER_CODE)."""
    from django.conf import settings

    return settings.CRM_IMPORT_CUSTOMER_CODE == "required"


class RetailerImport(ImportSpec):
    kind = ImportJob.Kind.RETAILERS
    models = (Retailer,)
    aliases = ALIASES
    # The retailers are read by the next statements (the next import's checks, the duplicate scan) and need their
    # new statistics at once; the history events are only ever read by retailer (pgh_obj_id's index), so
    # autovacuum's ANALYZE after the commit serves them (ANALYZE of both was a tenth of the import).
    analyze_tables = ("accounts_retailer",)
    staging_columns = (
        *VALUE_COLUMNS,
        ("org_unit_name", "text"),
        ("route_code", "text"),
        ("org_unit_id", "bigint"),
        ("route_id", "bigint"),
    )

    examples = {
        "customer_code": "410302100001",
        "licence_no": "410302100001",
        "licence_issued_on": "2023-05-01",
        "licence_expires_on": "45777",
        "licence_status": "有效",
        "shop_name": "惠民便利店（西关店）",
        "owner_name": "周建国",
        "owner_id_number": "",
        "owner_birthday": "1980/1/1",
        "mobile": "13800001234",
        "email": "shop@example.com",
        "address": "河南省洛阳市老城区中州东路 1 号",
        "latitude": "34.6836",
        "longitude": "112.4718",
        "market_type": "城镇",
        "business_format": "便利店",
        "scale": "中",
        "tier": "10",
        "credit_grade": "A",
        "shop_area_m2": "40",
        "is_night_shop": "否",
        "org_unit": "老城营销一部",
        "route": "LC-A01",
        "delivery_route": "老城一线",
        "order_weekday": "周二",
        "order_channel": "网上",
        "payment_method": "银行",
        "bank_account": "6222021234567890123",
        "status": "有效",
    }

    @property
    def notes(self) -> dict:
        code = (
            _("必填。")
            if customer_code_required()
            else _("可不填：新客户以许可证号作客户编码，已有客户保留原编码。")
        )
        unit = _(
            "营销部和服务线路都不填时，已有客户保持原营销部和线路；新客户按许可证号前 6 位在“区划对应营销部”中找营销部。"
        )
        return {
            "customer_code": code,
            "licence_no": _("12 位：区划代码 6 位 + 持证人类型 1 位 + 流水号 5 位；按许可证号新增或更新。"),
            "org_unit": unit,
            "route": unit,
            "tier": _("已有客户的档位不能通过导入修改。"),
            "credit_grade": _("已有客户的信用等级不能通过导入修改。"),
        }

    @property
    def required(self) -> tuple[str, ...]:
        if customer_code_required():
            return REQUIRED
        return tuple(name for name in REQUIRED if name != "customer_code")

    @property
    def labels(self):
        labels = {f.name: f.verbose_name for f in Retailer._meta.fields}
        labels["org_unit"] = gettext_lazy("营销部")
        labels["route"] = gettext_lazy("服务线路")
        return labels

    def prepare(self, ctx: CleanContext) -> None:
        from users.models import OrgUnit, Route

        ctx.lookups = {
            # the rules of this file, read once (clean() runs per row)
            "required": frozenset(self.required),
            "customer_code_required": customer_code_required(),
            # departments by name and routes by code, to resolve the file's names to ids while cleaning (a few
            # thousand rows: one read instead of three UPDATEs of the whole staging table)
            "department_ids": dict(
                OrgUnit.objects.filter(kind=OrgUnit.Kind.DEPARTMENT).values_list("name", "id").order_by("-id")
            ),
            "routes": {
                code: (pk, unit) for code, pk, unit in Route.objects.values_list("code", "id", "org_unit_id")
            },
            "licence_status": choice_map(Retailer.LicenceStatus.choices, {"正常": "valid", "注销": "closed"}),
            "market_type": choice_map(
                Retailer.MarketType.choices, {"城市": "C", "城": "C", "农村": "X", "乡": "X"}
            ),
            "business_format": choice_map(
                Retailer.BusinessFormat.choices, {"食杂": "Z", "便利": "B", "烟酒店": "Y"}
            ),
            "scale": choice_map(Retailer.Scale.choices, {"大型": "1", "中型": "2", "小型": "3"}),
            "credit_grade": choice_map(Retailer.CreditGrade.choices),
            "order_channel": choice_map(Retailer.OrderChannel.choices, {"网上": "online", "电话": "phone"}),
            "payment_method": choice_map(
                Retailer.Payment.choices, {"银行": "bank", "网银": "online", "现金": "cash"}
            ),
            "status": choice_map(
                Retailer.Status.choices, {"有效": "active", "停业": "suspended", "歇业": "closed"}
            ),
        }

    def clean(self, raw, ctx):
        problems: list[RowProblem] = []
        out: dict = {}

        def bad(name, message):
            problems.append(RowProblem(name, raw.get(name, ""), str(message)))

        def text(name, max_length, required=False):
            value = raw.get(name, "")
            if not value:
                if required:
                    bad(name, _("不能为空。"))
                return None
            if len(value) > max_length:
                bad(name, _("超过 %(n)s 个字符。") % {"n": max_length})
            return value

        required = ctx.lookups["required"]
        out["customer_code"] = text("customer_code", 20, required=ctx.lookups["customer_code_required"])
        try:
            out["licence_no"] = licence_parse(raw["licence_no"]).number
        except ValidationError as exc:
            out["licence_no"] = None
            bad("licence_no", exc.messages[0])
        for name in ("licence_issued_on", "licence_expires_on", "owner_birthday"):
            value = raw.get(name, "")
            out[name] = None
            if value:
                try:
                    out[name] = parse_date(value)
                except ValueError:
                    bad(name, _("日期格式应为 2024-05-01。"))
            elif name != "owner_birthday":
                bad(name, _("不能为空。"))
        issued, expires = out["licence_issued_on"], out["licence_expires_on"]
        if issued and expires:
            if expires <= issued:
                bad("licence_expires_on", _("有效期至必须晚于发证日期。"))
            else:
                try:
                    limit = issued.replace(year=issued.year + MAX_LICENCE_YEARS)
                except ValueError:
                    limit = issued.replace(year=issued.year + MAX_LICENCE_YEARS, day=28)
                if expires > limit:
                    bad(
                        "licence_expires_on",
                        _("许可证有效期最长 5 年（最晚 %(limit)s）。") % {"limit": limit},
                    )
        if issued and issued > ctx.today:
            bad("licence_issued_on", _("发证日期不能晚于今天。"))
        # the same rule as accounts.services.retailer_validate (the form and the API)
        if out["owner_birthday"] and out["owner_birthday"] > ctx.today - datetime.timedelta(days=18 * 365):
            bad("owner_birthday", _("负责人须年满 18 周岁，请核对生日。"))
        out["shop_name"] = text("shop_name", 100, required=True)
        out["owner_name"] = text("owner_name", 50, required=True)
        out["address"] = text("address", 200, required=True)
        try:
            out["mobile"] = mobile_normalise(raw["mobile"])
        except ValidationError as exc:
            out["mobile"] = None
            bad("mobile", exc.messages[0])
        out["owner_id_number"] = None
        if raw.get("owner_id_number"):
            try:
                out["owner_id_number"] = id_card_normalise(raw["owner_id_number"])
            except ValidationError as exc:
                bad("owner_id_number", exc.messages[0])
        out["email"] = None
        if raw.get("email"):
            if EMAIL_RE.match(raw["email"]) and len(raw["email"]) <= 254:
                out["email"] = raw["email"]
            else:
                bad("email", _("邮箱格式不正确。"))
        for name, low, high in (("latitude", 3, 54), ("longitude", 73, 136)):
            out[name] = None
            if raw.get(name):
                try:
                    value = round(float(raw[name]), 6)
                    if not low <= value <= high:
                        raise ValueError
                    out[name] = value
                except ValueError:
                    bad(
                        name,
                        _("应为 %(low)s 到 %(high)s 之间的数字（中国境内）。") % {"low": low, "high": high},
                    )
        for name in (
            "licence_status",
            "market_type",
            "business_format",
            "scale",
            "credit_grade",
            "order_channel",
            "payment_method",
            "status",
        ):
            value = raw.get(name, "")
            out[name] = None
            if value:
                code = ctx.lookups[name].get(value.lower())
                if code is None:
                    choices = "、".join(str(label) for _v, label in Retailer._meta.get_field(name).choices)
                    bad(
                        name,
                        _("“%(value)s”不是可选值（%(choices)s）。") % {"value": value, "choices": choices},
                    )
                out[name] = code
            elif name in required:
                bad(name, _("不能为空。"))
        out["tier"] = None
        if raw.get("tier"):
            try:
                tier = parse_int(raw["tier"].removesuffix("档"))
                if not 1 <= tier <= 30:
                    raise ValueError
                out["tier"] = tier
            except ValueError:
                bad("tier", _("档位应为 1–30 的整数。"))
        out["shop_area_m2"] = None
        if raw.get("shop_area_m2"):
            try:
                area = round(float(raw["shop_area_m2"].replace(",", "")))
                if not 1 <= area <= 100000:
                    raise ValueError
                out["shop_area_m2"] = area
            except ValueError:
                bad("shop_area_m2", _("经营面积应为 1–100000 的数字（平方米）。"))
        out["is_night_shop"] = None
        if "is_night_shop" in raw:
            try:
                out["is_night_shop"] = parse_bool(raw["is_night_shop"])
            except ValueError:
                bad("is_night_shop", _("请填“是”或“否”。"))
        out["delivery_route"] = text("delivery_route", 50)
        out["order_weekday"] = None
        if raw.get("order_weekday"):
            value = raw["order_weekday"]
            day = WEEKDAYS.get(value) or (int(value) if value.isdigit() and 1 <= int(value) <= 7 else None)
            if day is None:
                bad("order_weekday", _("订货日应为周一至周日或 1–7。"))
            out["order_weekday"] = day
        out["bank_account"] = None
        if raw.get("bank_account"):
            account = raw["bank_account"].replace(" ", "")
            if account.isdigit() and 12 <= len(account) <= 30:
                out["bank_account"] = account
            else:
                bad("bank_account", _("银行账号应为 12–30 位数字。"))
        # Neither a department nor a route: check() takes the retailer's current ones, or the department mapped
        # to the licence's region code (the licence office's files carry neither).
        # A route implies its department when the file names none.
        org_unit = raw.get("org_unit") or None
        route = raw.get("route") or None
        route_id, route_unit_id = ctx.lookups["routes"].get(route, (None, None)) if route else (None, None)
        org_unit_id = ctx.lookups["department_ids"].get(org_unit) if org_unit else route_unit_id
        values = (*(out[name] for name, _type in VALUE_COLUMNS), org_unit, route, org_unit_id, route_id)
        return values, problems

    def check(self, *, cursor, job, table):
        user = job.created_by
        # Org units by name and routes by code were resolved by clean(); a row naming neither takes the
        # retailer's current ones, or the department of its licence's region code.
        cursor.execute(f"""
            UPDATE {table} s SET org_unit_id = r.org_unit_id, route_id = r.route_id FROM accounts_retailer r
             WHERE s.org_unit_name IS NULL AND s.route_code IS NULL AND r.licence_no = s.licence_no;
            UPDATE {table} s SET org_unit_id = m.org_unit_id FROM users_regionunit m
             WHERE s.org_unit_name IS NULL AND s.route_code IS NULL AND s.org_unit_id IS NULL
               AND m.region_code = left(s.licence_no, 6);
        """)
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="org_unit",
            value_sql="left(s.licence_no, 6)",
            message=_(
                "没有填写营销部或服务线路，许可证号的区划代码也没有对应的营销部"
                "（请在文件中填写，或由管理员在“区划对应营销部”中添加该代码）。"
            ),
            where="s.org_unit_name IS NULL AND s.route_code IS NULL AND s.org_unit_id IS NULL",
        )
        # No customer code: an existing retailer keeps its own; a new one takes its licence number (the rule in
        # settings.CRM_IMPORT_CUSTOMER_CODE; under "required" clean() has refused the row already).
        if not customer_code_required():
            cursor.execute(f"""
                UPDATE {table} s SET customer_code = coalesce(r.customer_code, s.licence_no)
                FROM {table} t LEFT JOIN accounts_retailer r ON r.licence_no = t.licence_no
                WHERE t.row_no = s.row_no AND s.customer_code IS NULL AND s.licence_no IS NOT NULL
            """)
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="route",
            value_sql="s.route_code",
            message=_("没有这条服务线路。"),
            where="s.route_code IS NOT NULL AND s.route_id IS NULL",
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="org_unit",
            value_sql="s.org_unit_name",
            message=_("没有这个营销部（请填写系统中的营销部全称）。"),
            where="s.org_unit_name IS NOT NULL AND s.org_unit_id IS NULL",
        )
        add_errors_sql(
            cursor,
            job=job,
            table=table,
            column="route",
            value_sql="s.route_code",
            message=_("服务线路不属于所填营销部。"),
            where="s.route_id IS NOT NULL AND s.org_unit_id IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM users_route r WHERE r.id = s.route_id AND r.org_unit_id <> s.org_unit_id)",
        )
        # A file without a route column keeps each retailer's route: moving a retailer to another department
        # by name alone would leave it on a route of its old department.
        if "route" not in job.column_mapping:
            add_errors_sql(
                cursor,
                job=job,
                table=table,
                column="org_unit",
                value_sql="s.org_unit_name",
                message=_("该客户现在的服务线路不属于所填营销部，请在文件中同时填写服务线路。"),
                where="s.org_unit_id IS NOT NULL AND EXISTS (SELECT 1 FROM accounts_retailer r "
                "JOIN users_route rt ON rt.id = r.route_id "
                "WHERE r.licence_no = s.licence_no AND rt.org_unit_id <> s.org_unit_id)",
            )
        # Region code: must be one of the company's, and the one of the retailer's county.
        from users.selectors import region_codes_known

        codes = sorted(region_codes_known())
        cursor.execute(
            'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
            f"SELECT %s, s.row_no, 'licence_no', s.licence_no, %s FROM {table} s "
            "WHERE s.licence_no IS NOT NULL AND NOT (left(s.licence_no, 6) = ANY(%s))",
            [job.pk, _("许可证号前 6 位不是本公司辖区的行政区划代码。"), codes],
        )
        # (each department's county found once, not once per row)
        cursor.execute(
            "WITH county AS MATERIALIZED (SELECT d.id, (SELECT a.region_code FROM users_orgunit a "
            "  WHERE d.path LIKE a.path || '%%' AND a.region_code <> '' ORDER BY length(a.path) DESC LIMIT 1) "
            "  AS region_code FROM users_orgunit d) "
            'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
            f"SELECT %s, s.row_no, 'licence_no', s.licence_no, %s || c.region_code FROM {table} s "
            "JOIN county c ON c.id = s.org_unit_id "
            "WHERE s.licence_no IS NOT NULL AND left(s.licence_no, 6) = ANY(%s) AND left(s.licence_no, 6) <> c.region_code",
            [job.pk, _("许可证号前 6 位与所属县级局的区划代码不一致：应为 "), codes],
        )
        # Duplicates inside the file: the first occurrence wins, later ones are rejected.
        add_repeat_errors(
            cursor,
            job=job,
            table=table,
            column="licence_no",
            message=_("文件内许可证号重复，与第 %s 行相同。"),
        )
        add_repeat_errors(
            cursor,
            job=job,
            table=table,
            column="customer_code",
            message=_("文件内客户编码重复，与第 %s 行相同。"),
        )
        # Against the retailers already in the system, in one pass over the file (the customer code's owner and
        # the licence's retailer, each unique, joined once), in the order the rules are stated:
        # - a customer code already used by a different licence;
        # - the tier and the credit grade have their own engines (accounts.services.LOCKED_FIELDS): a file may
        #   repeat what an existing retailer has (re-importing an export changes nothing) but not change it;
        # - a new retailer may start at a tier up to the tier rule's cap for new retailers, and at the credit
        #   rule's starting grade (the model default).
        cap = starting_tier_cap()
        default_grade = Retailer._meta.get_field("credit_grade").default
        rules = [
            (
                "customer_code",
                "s.customer_code",
                _("客户编码已被另一家客户（不同许可证号）使用。"),
                "c.id IS NOT NULL AND c.licence_no IS DISTINCT FROM s.licence_no",
            ),
            *(
                (
                    name,
                    f"s.{name}",
                    _("已有客户的该项不能通过导入修改。") + str(LOCKED_FIELDS[name]),
                    f"s.{name} IS NOT NULL AND r.id IS NOT NULL AND r.{name} IS DISTINCT FROM s.{name}",
                )
                for name in LOCKED_FIELDS
            ),
            (
                "tier",
                "s.tier",
                _("新客户的起始档位不能高于 %(cap)s 档（档位评定规则中的新客户上限）。") % {"cap": cap},
                "s.tier > %(cap)s AND r.id IS NULL",
            ),
            (
                "credit_grade",
                "s.credit_grade",
                _("新客户的信用等级从 %(grade)s 级开始。") % {"grade": default_grade}
                + str(LOCKED_FIELDS["credit_grade"]),
                "s.credit_grade <> %(grade)s AND r.id IS NULL",
            ),
        ]
        params = {"job": job.pk, "cap": cap, "grade": default_grade}
        values = []
        for n, (column, value_sql, message, condition) in enumerate(rules):
            params[f"column{n}"], params[f"message{n}"] = column, message
            values.append(f"({n}, {condition}, %(column{n})s, ({value_sql})::text, %(message{n})s)")
        # ordered rule by rule, then by row: the errors' ids as when each rule was its own statement
        cursor.execute(
            'INSERT INTO accounts_importrowerror (job_id, row_no, "column", value, message) '
            "SELECT %(job)s, s.row_no, e.col, left(coalesce(e.value, ''), 255), left(e.message, 255) "
            f"FROM {table} s "
            "LEFT JOIN accounts_retailer c ON c.customer_code = s.customer_code "
            "LEFT JOIN accounts_retailer r ON r.licence_no = s.licence_no "
            f"CROSS JOIN LATERAL (VALUES {', '.join(values)}) e(n, bad, col, value, message) "
            "WHERE e.bad ORDER BY e.n, s.row_no",
            params,
        )
        # Territory: a supervisor imports only into their own subtree and updates only their own retailers.
        if not (user.is_superuser or user.role == User.Role.ADMIN):
            path = user.org_unit.path if user.org_unit_id else "/nowhere/"
            add_errors_sql(
                cursor,
                job=job,
                table=table,
                column="org_unit",
                value_sql="s.org_unit_name",
                message=_("您无权把客户导入到该营销部。"),
                where_params=[path],
                where="s.org_unit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users_orgunit o "
                "WHERE o.id = s.org_unit_id AND o.path LIKE %s || '%%')",
            )
            add_errors_sql(
                cursor,
                job=job,
                table=table,
                column="licence_no",
                value_sql="s.licence_no",
                message=_("该许可证号属于您辖区以外的客户，无权更新。"),
                where_params=[path],
                where="EXISTS (SELECT 1 FROM accounts_retailer r JOIN users_orgunit o ON o.id = r.org_unit_id "
                "WHERE r.licence_no = s.licence_no AND o.path NOT LIKE %s || '%%')",
            )

    def warnings(self, *, cursor, job, table):
        """Rows that look like a shop already in the system under another licence: the same mobile number, or
        a similar name and address in the same county (any of its departments) — the duplicate scan's rules, so
        what the preview flags is what the data-quality page would find after the import."""
        from accounts.dedupe.services import ADDRESS_SIMILARITY, COUNTY_OF_SQL, NAME_KEY_SQL, NAME_SIMILARITY

        cursor.execute(
            f"""
            WITH staged AS MATERIALIZED (
              SELECT s.row_no, s.licence_no, s.mobile, s.shop_name, s.address,
                     {COUNTY_OF_SQL.format(o="d")} AS county_id,
                     {NAME_KEY_SQL.format(name="s.shop_name")} AS name_key
              FROM {table} s LEFT JOIN users_orgunit d ON d.id = s.org_unit_id WHERE s.ok
            ), found AS (
              SELECT s.row_no, 'phone' AS kind, r.shop_name, r.licence_no, r.id
              FROM staged s JOIN accounts_retailer r ON r.mobile = s.mobile AND r.licence_no <> s.licence_no
              WHERE r.status <> 'closed'
              UNION ALL
              SELECT s.row_no, 'similar', r.shop_name, r.licence_no, r.id
              FROM staged s
              JOIN accounts_retailer r ON r.licence_no <> s.licence_no AND r.status <> 'closed'
               AND {NAME_KEY_SQL.format(name="r.shop_name")} = s.name_key
              JOIN users_orgunit o ON o.id = r.org_unit_id
               AND {COUNTY_OF_SQL.format(o="o")} = s.county_id
              WHERE similarity(r.address, s.address) >= %s AND similarity(r.shop_name, s.shop_name) >= %s
            )
            SELECT row_no, kind, shop_name, licence_no, id, count(*) OVER () FROM found
            ORDER BY row_no, kind LIMIT %s
            """,
            [ADDRESS_SIMILARITY, NAME_SIMILARITY, WARNINGS_SHOWN],
        )
        rows = cursor.fetchall()
        phone = _("手机号与已有客户 %(name)s（%(licence)s）相同，可能是同一家店。")
        similar = _("店名和地址与已有客户 %(name)s（%(licence)s）相近，可能是同一家店。")
        items = [
            {
                "row": row_no,
                "kind": kind,
                "retailer_id": retailer_id,
                "message": (phone if kind == "phone" else similar) % {"name": name, "licence": licence},
            }
            for row_no, kind, name, licence, retailer_id, _total in rows
        ]
        return {"count": rows[0][5] if rows else 0, "items": items}

    def upsert(self, *, cursor, job, table):
        mapped = set(job.column_mapping)
        names = [name for name, _type in VALUE_COLUMNS]
        insert_values = []
        for name in names:
            default = INSERT_DEFAULTS.get(name)
            insert_values.append(f"coalesce(s.{name}, {default})" if default else f"s.{name}")
        # Update only the columns the file carries; a missing column keeps what the record has. The locked
        # fields are never updated (check() refuses a row that would change them).
        update_names = [n for n in names if n in mapped and n != "licence_no" and n not in LOCKED_FIELDS]
        if "org_unit" in mapped or "route" in mapped:
            update_names += ["org_unit_id"]
        if "route" in mapped:
            update_names += ["route_id"]
        set_sql = ", ".join(f"{n} = EXCLUDED.{n}" for n in update_names) or "licence_no = EXCLUDED.licence_no"
        distinct = (
            f"({', '.join(f'r.{n}' for n in update_names)}) IS DISTINCT FROM "
            f"({', '.join(f'EXCLUDED.{n}' for n in update_names)})"
            if update_names
            else "false"
        )
        context = history_context_create(user=job.created_by, source=f"import #{job.pk} {job.original_name}")
        # One statement writes the rows and their history events (the row triggers are off for it).
        with pgtrigger.ignore(*RETAILER_TRIGGERS):
            cursor.execute(
                f"""
                WITH written AS (
                  INSERT INTO accounts_retailer AS r ({", ".join(names)}, org_unit_id, route_id, sms_consent,
                         sms_consent_source, email_consent, email_consent_source, created_at, updated_at)
                  SELECT {", ".join(insert_values)}, s.org_unit_id, s.route_id, false, '', false, '', now(), now()
                  FROM {table} s WHERE s.ok ORDER BY s.row_no
                  ON CONFLICT (licence_no) DO UPDATE SET {set_sql}, updated_at = now() WHERE {distinct}
                  RETURNING r.*, (xmax = 0) AS inserted
                ), events AS (
                  {retailer_events_insert_sql(source="written")}
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written
            """,
                [context],
            )
        created, updated = cursor.fetchone()
        if "credit_grade" in mapped:
            # a grade in the file is only a starting value: the credit rule decides it (one UPDATE for the file)
            from accounts.compliance.services import credit_grades_recompute

            cursor.execute(
                f"SELECT r.id FROM accounts_retailer r JOIN {table} s ON s.licence_no = r.licence_no WHERE s.ok"
            )
            credit_grades_recompute(retailer_ids=[row[0] for row in cursor.fetchall()])
        cursor.execute(f"SELECT count(*) FROM {table} WHERE ok")
        valid = cursor.fetchone()[0]
        return created, updated, valid - created - updated


register(RetailerImport())
