"""Order and product files for the sales import tests, and the summary comparison."""

from django.db import connection

from sales.models import RetailerPeriodSummary, RetailerProductSummary
from sales.services import period_summaries_rebuild
from tests.imports.helpers import ORDER_HEADER, PRODUCT_HEADER, csv_bytes


def product_row(code: str, brand: str, name: str, wholesale: str, retail: str, **extra) -> dict[str, str]:
    row = dict.fromkeys(PRODUCT_HEADER, "")
    row.update({"卷烟编码": code, "品牌": brand, "规格名称": name, "批发价": wholesale, "建议零售价": retail})
    row.update(extra)
    return row


def order_line(order_no: str, licence: str, day, product: str, cartons: int, price_fen: int, **extra) -> dict:
    row = {
        "订单号": order_no,
        "许可证号": licence,
        "订货日期": str(day),
        "卷烟编码": product,
        "订购量": str(cartons),
        "单价": f"{price_fen / 100:.2f}",
        "金额": f"{cartons * price_fen / 100:.2f}",
    }
    row.update(extra)
    return row


def orders_csv(lines: list[dict], encoding: str = "gbk") -> bytes:
    return csv_bytes(lines, header=list(lines[0]) if lines else ORDER_HEADER, encoding=encoding)


SUMMARY_FIELDS = (
    "retailer_id",
    "period",
    "period_start",
    "order_count",
    "cartons",
    "amount_fen",
    "class1_cartons",
    "class2_cartons",
    "class3_cartons",
    "class4_cartons",
    "class5_cartons",
    "first_ordered_on",
    "last_ordered_on",
)


def summaries() -> list[tuple]:
    return list(
        RetailerPeriodSummary.objects.order_by("retailer_id", "period", "period_start").values_list(
            *SUMMARY_FIELDS
        )
    )


PRODUCT_SUMMARY_FIELDS = (
    "retailer_id",
    "week_start",
    "product_id",
    "order_count",
    "cartons",
    "amount_fen",
    "first_ordered_on",
    "last_ordered_on",
)


def product_summaries() -> list[tuple]:
    return list(
        RetailerProductSummary.objects.order_by("retailer_id", "week_start", "product_id").values_list(
            *PRODUCT_SUMMARY_FIELDS
        )
    )


def assert_summaries_equal_rebuild() -> list[tuple]:
    """The summaries kept by imports (period summaries and retailer × product weeks) must be exactly what a full
    recomputation from the lines gives. Returns the period summaries."""
    kept, kept_products = summaries(), product_summaries()
    # The test runs inside one transaction: fire the deferred foreign-key checks a real commit would have
    # fired, or the rebuild's TRUNCATE refuses a table with pending trigger events.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    period_summaries_rebuild()
    rebuilt = summaries()
    assert kept == rebuilt
    assert kept_products == product_summaries()
    return rebuilt
