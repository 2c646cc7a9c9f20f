"""Period summaries are kept by every write that changes what they count, and always equal a recomputation."""

import datetime

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.imports.models import ImportJob
from sales.models import Order, RetailerPeriodSummary
from sales.services import period_summaries_rebuild, price_class_bands_set
from tests.imports.helpers import csv_bytes, row_errors, run_import
from tests.sales.conftest import PRODUCTS
from tests.sales.helpers import assert_summaries_equal_rebuild, order_line, orders_csv, product_row, summaries

CODES = list(PRODUCTS)
PRICE = {code: wholesale for code, (_b, _n, wholesale, _r) in PRODUCTS.items()}
BASE = datetime.date(2025, 3, 24)  # a Monday; 0–70 days on crosses weeks and three month ends


def import_orders(user, lines):
    job = run_import(user=user, kind=ImportJob.Kind.ORDERS, content=orders_csv(lines))
    assert job.status == ImportJob.Status.DONE, job.message
    assert job.rejected_count == 0, row_errors(job)
    return job


def test_rebuild_of_some_retailers_leaves_the_others_alone(supervisor_a, shops, products):
    a, b, _c = shops
    code = CODES[0]
    import_orders(
        supervisor_a,
        [
            order_line("DD1", a.licence_no, BASE, code, 2, PRICE[code]),
            order_line("DD2", b.licence_no, BASE, code, 3, PRICE[code]),
        ],
    )
    RetailerPeriodSummary.objects.filter(retailer=b).update(cartons=999)  # a stale row of b
    RetailerPeriodSummary.objects.filter(retailer=a).delete()
    period_summaries_rebuild(retailer_ids=[a.pk])
    assert RetailerPeriodSummary.objects.get(retailer=a, period="week").cartons == 2
    assert RetailerPeriodSummary.objects.get(retailer=b, period="week").cartons == 999


def test_a_product_import_that_changes_a_price_class_keeps_summaries_equal_to_a_rebuild(
    supervisor_a, company_admin, shops, products
):
    a, *_ = shops
    code = "6901028180566"  # 62 元: class 3
    import_orders(supervisor_a, [order_line("DD1", a.licence_no, BASE, code, 10, PRICE[code])])
    week = RetailerPeriodSummary.objects.get(retailer=a, period="week")
    assert (week.class3_cartons, week.class2_cartons) == (10, 0)
    # the product's wholesale price rises to 95 元: now class 2
    run_import(
        user=company_admin,
        kind=ImportJob.Kind.PRODUCTS,
        content=csv_bytes([product_row(code, "双喜", "红双喜（硬）", "95", "110")]),
    )
    week = assert_summaries_equal_rebuild()
    assert [(w[0], w[1], w[6:11]) for w in week if w[1] == "week"] == [(a.pk, "week", (0, 10, 0, 0, 0))]


def test_new_price_bands_keep_summaries_equal_to_a_rebuild(supervisor_a, shops, products):
    from django.utils import timezone

    a, *_ = shops
    code = "6901028100001"  # 100 元: class 2
    import_orders(supervisor_a, [order_line("DD1", a.licence_no, BASE, code, 4, PRICE[code])])
    price_class_bands_set(
        effective_from=timezone.localdate(),
        bands=[(5, 0, 3000), (4, 3000, 5000), (3, 5000, 12000), (2, 12000, 20000), (1, 20000, None)],
    )
    rebuilt = assert_summaries_equal_rebuild()
    assert {row[6:11] for row in rebuilt} == {(0, 0, 4, 0, 0)}  # now class 3, in the week and the month


def test_a_rebuild_in_its_own_transaction_truncates_and_refills(
    transactional_db, shops, products, supervisor_a
):
    a, *_ = shops
    code = CODES[1]
    import_orders(supervisor_a, [order_line("DD1", a.licence_no, BASE, code, 1, PRICE[code])])
    kept = summaries()
    RetailerPeriodSummary.objects.update(cartons=0)
    with transaction.atomic():
        period_summaries_rebuild()
    assert summaries() == kept


# ---- property: any sequence of imports leaves summaries equal to a full recomputation ------------------------

line_strategy = st.tuples(
    st.integers(min_value=0, max_value=5),  # order number
    st.integers(min_value=0, max_value=2),  # retailer
    st.integers(min_value=0, max_value=70),  # day after BASE
    st.integers(min_value=0, max_value=len(CODES) - 1),  # product
    st.integers(min_value=1, max_value=50),  # cartons
)
rounds_strategy = st.lists(st.lists(line_strategy, min_size=1, max_size=8), min_size=1, max_size=3)


def _file_lines(round_lines, shops):
    """Turn generated tuples into consistent order lines: an order's first line fixes its retailer and day;
    a product repeated within an order is dropped (that is a rejected file, tested elsewhere)."""
    headers: dict[int, tuple[int, int]] = {}
    seen: set[tuple[int, int]] = set()
    lines = []
    for order, shop, day, product, cartons in round_lines:
        shop, day = headers.setdefault(order, (shop, day))
        if (order, product) in seen:
            continue
        seen.add((order, product))
        code = CODES[product]
        lines.append(
            order_line(
                f"DD{order:03d}",
                shops[shop].licence_no,
                BASE + datetime.timedelta(days=day),
                code,
                cartons,
                PRICE[code],
            )
        )
    return lines


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rounds=rounds_strategy)
def test_summaries_kept_by_imports_always_equal_a_full_recomputation(rounds, supervisor_a, shops, products):
    with transaction.atomic():
        for round_lines in rounds:
            import_orders(supervisor_a, _file_lines(round_lines, shops))
            assert_summaries_equal_rebuild()
        # and they describe exactly the orders there are
        total = sum(o.cartons for o in Order.objects.all())
        assert total == sum(s.cartons for s in RetailerPeriodSummary.objects.filter(period="week"))
        assert total == sum(s.cartons for s in RetailerPeriodSummary.objects.filter(period="month"))
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    "day", [datetime.date(2024, 12, 30), datetime.date(2025, 1, 1), datetime.date(2024, 2, 29)]
)
def test_week_and_month_starts_across_year_ends_and_leap_days(supervisor_a, shops, products, day):
    code = CODES[2]
    import_orders(supervisor_a, [order_line("DD1", shops[0].licence_no, day, code, 1, PRICE[code])])
    starts = dict(RetailerPeriodSummary.objects.values_list("period", "period_start"))
    assert starts["week"] == day - datetime.timedelta(days=day.weekday())
    assert starts["month"] == day.replace(day=1)
    assert_summaries_equal_rebuild()
