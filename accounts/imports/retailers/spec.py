"""Retailer master data from the licence office: upsert by licence number. The import's declaration (what the
pipeline needs to know of it) lives here; its work in clean.py (per row), checks.py (set-based checks) and
upsert.py (the write)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.imports.cells import choice_map
from accounts.imports.models import ImportJob
from accounts.imports.retailers.checks import retailer_rows_check, retailer_rows_warnings
from accounts.imports.retailers.clean import retailer_row_clean
from accounts.imports.retailers.columns import ALIASES, REQUIRED, VALUE_COLUMNS, customer_code_required
from accounts.imports.retailers.upsert import retailer_rows_upsert
from accounts.imports.spec import CleanContext, ImportSpec, register
from accounts.models import Retailer


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
        return retailer_row_clean(raw, ctx)

    def check(self, *, cursor, job, table):
        return retailer_rows_check(cursor=cursor, job=job, table=table)

    def warnings(self, *, cursor, job, table):
        return retailer_rows_warnings(cursor=cursor, job=job, table=table)

    def upsert(self, *, cursor, job, table):
        return retailer_rows_upsert(cursor=cursor, job=job, table=table)


register(RetailerImport())
