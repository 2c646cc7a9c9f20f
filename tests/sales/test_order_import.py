"""Order import: lines grouped into orders by number, every rejection rule, re-imports and replacements,
and the period summaries kept equal to a full recomputation."""

import datetime

import pytest
from django.utils import timezone

from accounts.imports.models import ImportJob
from sales.models import Order, OrderLine, RetailerPeriodSummary
from tests.imports.helpers import messages_of, row_errors, run_import, validated_job
from tests.sales.helpers import assert_summaries_equal_rebuild, order_line, orders_csv, summaries

KIND = ImportJob.Kind.ORDERS
ZH, HJY, SX, BS, JJ = "6901028001663", "6901028100001", "6901028180566", "6901028045901", "6901028300001"
PRICE = {ZH: 37500, HJY: 10000, SX: 6200, BS: 3800, JJ: 1500}
# A Wednesday in the past with a month boundary inside its week: 2025-04-30 (Wed) and 2025-05-01 (Thu).
WED = datetime.date(2025, 4, 30)
THU = datetime.date(2025, 5, 1)


def line(order_no, shop, day, product, cartons, **extra):
    return order_line(order_no, shop.licence_no, day, product, cartons, PRICE[product], **extra)


def import_orders(user, lines, **kwargs) -> ImportJob:
    return run_import(user=user, kind=KIND, content=orders_csv(lines), **kwargs)


def validate_orders(user, lines) -> ImportJob:
    return validated_job(user=user, kind=KIND, content=orders_csv(lines))


def order_state() -> list[tuple]:
    return [
        (
            o.order_no,
            o.retailer_id,
            o.ordered_on,
            o.cartons,
            o.amount_fen,
            sorted(o.lines.values_list("product_id", "cartons", "unit_price_fen")),
        )
        for o in Order.objects.order_by("order_no")
    ]


@pytest.fixture
def importer(supervisor_a):
    return supervisor_a


def test_lines_are_grouped_into_orders_by_number(importer, shops, products):
    a, b, _c = shops
    lines = [
        line("DD001", a, WED, ZH, 2),
        line("DD001", a, WED, SX, 10),
        line("DD001", a, WED, JJ, 5),
        line("DD002", b, THU, BS, 3),
    ]
    job = import_orders(importer, lines)
    assert (job.created_count, job.updated_count, job.unchanged_count, job.rejected_count) == (2, 0, 0, 0)
    first = Order.objects.get(order_no="DD001")
    assert (first.retailer_id, first.ordered_on, first.source) == (a.pk, WED, Order.Source.IMPORT)
    assert first.cartons == 17
    assert first.amount_fen == 2 * 37500 + 10 * 6200 + 5 * 1500
    assert first.lines.count() == 3
    assert OrderLine.objects.count() == 4
    line_amounts = {(ln.product_id, ln.cartons, ln.amount_fen) for ln in first.lines.all()}
    assert (products[SX].pk, 10, 62000) in line_amounts


def test_summaries_after_an_import_hold_week_and_month_figures(importer, shops, products):
    a, *_ = shops
    import_orders(
        importer, [line("DD001", a, WED, ZH, 2), line("DD001", a, WED, JJ, 5), line("DD002", a, THU, SX, 10)]
    )
    rows = {(s.period, s.period_start): s for s in RetailerPeriodSummary.objects.filter(retailer=a)}
    week = rows[("week", datetime.date(2025, 4, 28))]  # Monday
    assert (week.order_count, week.cartons, week.amount_fen) == (2, 17, 75000 + 7500 + 62000)
    assert (week.class1_cartons, week.class3_cartons, week.class5_cartons) == (2, 10, 5)
    april, may = rows[("month", datetime.date(2025, 4, 1))], rows[("month", datetime.date(2025, 5, 1))]
    assert (april.order_count, april.cartons, april.class1_cartons) == (1, 7, 2)
    assert (may.order_count, may.cartons, may.class3_cartons) == (1, 10, 10)
    assert set(rows) == {
        ("week", datetime.date(2025, 4, 28)),
        ("month", datetime.date(2025, 4, 1)),
        ("month", datetime.date(2025, 5, 1)),
    }
    assert_summaries_equal_rebuild()


def test_reimporting_the_same_orders_changes_nothing(importer, shops, products):
    a, b, _c = shops
    lines = [line("DD001", a, WED, ZH, 2), line("DD001", a, WED, SX, 1), line("DD002", b, THU, BS, 3)]
    import_orders(importer, lines)
    before_orders, before_summaries = order_state(), summaries()
    line_ids = sorted(OrderLine.objects.values_list("id", flat=True))
    job = import_orders(importer, list(reversed(lines)))  # line order in the file does not matter
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 0, 2)
    assert order_state() == before_orders
    assert sorted(OrderLine.objects.values_list("id", flat=True)) == line_ids  # lines not rewritten
    assert summaries() == before_summaries


def test_a_changed_order_is_replaced_and_its_summaries_follow(importer, shops, products):
    a, b, _c = shops
    import_orders(
        importer, [line("DD001", a, WED, ZH, 2), line("DD001", a, WED, SX, 1), line("DD002", b, WED, BS, 3)]
    )
    order_id = Order.objects.get(order_no="DD001").pk
    # DD001: ZH 2 -> 4, SX dropped, JJ added
    job = import_orders(
        importer, [line("DD001", a, WED, ZH, 4), line("DD001", a, WED, JJ, 1), line("DD002", b, WED, BS, 3)]
    )
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    order = Order.objects.get(order_no="DD001")
    assert order.pk == order_id  # replaced in place: same order, new lines
    assert sorted(order.lines.values_list("product__code", "cartons")) == sorted([(ZH, 4), (JJ, 1)])
    assert (order.cartons, order.amount_fen) == (5, 4 * 37500 + 1500)
    week = RetailerPeriodSummary.objects.get(retailer=a, period="week")
    assert (week.cartons, week.class1_cartons, week.class3_cartons, week.class5_cartons) == (5, 4, 0, 1)
    assert_summaries_equal_rebuild()


def test_an_order_moved_to_another_retailer_and_month_updates_both_summaries(importer, shops, products):
    a, b, _c = shops
    import_orders(importer, [line("DD001", a, WED, ZH, 2)])
    import_orders(importer, [line("DD001", b, THU, ZH, 2)])
    assert not RetailerPeriodSummary.objects.filter(retailer=a).exists()
    assert RetailerPeriodSummary.objects.filter(
        retailer=b, period="month", period_start=datetime.date(2025, 5, 1)
    ).exists()
    assert_summaries_equal_rebuild()


def test_orders_may_name_the_retailer_by_customer_code(importer, shops, products):
    a, *_ = shops
    row = line("DD001", a, WED, ZH, 2)
    row["许可证号"] = ""
    row["客户编码"] = a.customer_code
    job = import_orders(importer, [row])
    assert job.created_count == 1, row_errors(job)
    assert Order.objects.get().retailer_id == a.pk


@pytest.mark.parametrize(
    ("change", "column", "fragment"),
    [
        ({"许可证号": "410302199999"}, "licence_no", "系统中没有这家零售客户"),
        ({"卷烟编码": "6900000000000"}, "product_code", "系统中没有这个卷烟编码，请先导入品规"),
        ({"金额": "999.00"}, "amount", "金额与“订购量 × 单价”不符（应为 750.00 元）"),
        ({"金额": "七百五"}, "amount", "金额格式不正确"),
        ({"订购量": "0"}, "cartons", "订购量应为 1–10000 的整数"),
        ({"订购量": "2.5"}, "cartons", "订购量应为 1–10000 的整数"),
        ({"订购量": "10001"}, "cartons", "订购量应为 1–10000 的整数"),
        ({"单价": "0"}, "unit_price", "单价应为大于 0 的金额"),
        ({"订货日期": "2025-13-01"}, "ordered_on", "日期格式应为"),
        ({"许可证号": ""}, "licence_no", "许可证号和客户编码至少填一项"),
        ({"订单号": ""}, "order_no", "不能为空"),
        ({"来源": "微信"}, "source", "来源应为 网上订货、电话订货 或 文件导入"),
    ],
)
def test_bad_order_lines_are_rejected_with_a_reason(importer, shops, products, change, column, fragment):
    row = {**line("DD001", shops[0], WED, ZH, 2), **change}
    job = validate_orders(importer, [row])
    errors = row_errors(job)[2]
    assert any(c == column and fragment in m for c, m in errors), errors
    assert job.valid_rows == 0


def test_an_order_dated_in_the_future_is_rejected(importer, shops, products):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    job = validate_orders(importer, [line("DD001", shops[0], tomorrow, ZH, 2)])
    assert "订货日期不能晚于今天" in messages_of(job, 2)


def test_an_order_of_a_retailer_outside_the_territory_is_rejected(importer, shops, products, retailer_b):
    job = validate_orders(importer, [line("DD001", retailer_b, WED, ZH, 2)])
    assert row_errors(job)[2] == [("licence_no", "系统中没有这家零售客户（或不在您的辖区）。")]


def test_inconsistent_order_header_rejects_every_line_of_the_order(importer, shops, products):
    a, b, _c = shops
    lines = [
        line("DD001", a, WED, ZH, 2),
        line("DD001", a, THU, SX, 1),  # another date
        line("DD002", a, WED, ZH, 1),
        line("DD002", b, WED, SX, 1),  # another retailer
        line("DD003", a, WED, ZH, 1),
    ]
    job = validate_orders(importer, lines)
    errors = row_errors(job)
    for row_no in (2, 3, 4, 5):
        assert ("order_no", "同一订单号的各行客户、日期或来源不一致。") in errors[row_no]
    assert 6 not in errors
    assert (job.valid_rows, job.invalid_rows) == (1, 4)


def test_one_bad_line_rejects_its_whole_order_but_not_other_orders(importer, shops, products):
    a, b, _c = shops
    lines = [
        line("DD001", a, WED, ZH, 2),
        order_line("DD001", a.licence_no, WED, "6900000000000", 1, 1000),
        line("DD001", a, WED, JJ, 3),
        line("DD002", b, WED, SX, 1),
    ]
    job = import_orders(importer, lines)
    errors = row_errors(job)
    assert errors[3] == [("product_code", "系统中没有这个卷烟编码，请先导入品规。")]
    assert errors[2] == errors[4] == [("order_no", "同一订单的其他行有错误，整单未导入。")]
    assert (job.created_count, job.rejected_count) == (1, 3)
    assert list(Order.objects.values_list("order_no", flat=True)) == ["DD002"]
    assert_summaries_equal_rebuild()


def test_the_same_product_twice_in_one_order_is_rejected(importer, shops, products):
    a, *_ = shops
    job = validate_orders(importer, [line("DD001", a, WED, ZH, 2), line("DD001", a, WED, ZH, 3)])
    assert ("product_code", "同一订单中该卷烟重复出现，与第 2 行相同。") in row_errors(job)[3]
    assert job.valid_rows == 0  # and the first line goes with its order


def test_all_or_nothing_order_import_with_one_bad_order_writes_nothing(importer, shops, products):
    from django.core.exceptions import ValidationError

    from accounts.imports.services import import_job_commit

    a, *_ = shops
    lines = [line("DD001", a, WED, ZH, 2), line("DD002", a, WED, ZH, 2, 金额="1.00")]
    job = validated_job(
        user=importer, kind=KIND, content=orders_csv(lines), mode=ImportJob.Mode.ALL_OR_NOTHING
    )
    with pytest.raises(ValidationError):
        import_job_commit(job_id=job.pk, user=importer, enqueue=False)
    assert not Order.objects.exists()
    assert not RetailerPeriodSummary.objects.exists()


def test_a_failure_while_writing_orders_leaves_orders_and_summaries_untouched(
    importer, shops, products, monkeypatch
):
    from accounts.imports.services import import_job_commit
    from sales import services

    a, *_ = shops
    import_orders(importer, [line("DD001", a, WED, ZH, 2)])
    before = (order_state(), summaries())
    job = validate_orders(importer, [line("DD001", a, WED, ZH, 9), line("DD002", a, THU, SX, 1)])

    def refresh_then_fail(**kwargs):
        raise RuntimeError("连接中断")

    monkeypatch.setattr(services, "period_summaries_refresh", refresh_then_fail)
    with pytest.raises(RuntimeError):
        import_job_commit(job_id=job.pk, user=importer, enqueue=False)
    assert (order_state(), summaries()) == before
    job.refresh_from_db()
    assert job.status == ImportJob.Status.VALIDATED
    assert "连接中断" in job.message
