"""One row of a retailer import, cleaned in Python: each value parsed and checked on its own (run per row by
the import pipeline, before anything touches the database)."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.imports.cells import parse_bool, parse_date, parse_int
from accounts.imports.retailers.columns import EMAIL_RE, VALUE_COLUMNS, WEEKDAYS
from accounts.imports.spec import RowProblem
from accounts.models import MAX_LICENCE_YEARS, Retailer
from accounts.parsers import id_card_normalise, licence_parse, mobile_normalise


def retailer_row_clean(raw, ctx):
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
