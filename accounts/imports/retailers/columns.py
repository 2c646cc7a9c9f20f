"""The columns of a retailer import: the headers accepted for each field, the required ones, those written to
the retailer table and the defaults of a new retailer."""

import re

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
