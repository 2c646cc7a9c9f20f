"""`manage.py bench import --scale tiny`: the CI smoke run, on a database that holds allocation data (the seed's
plans, and an earlier run's imported lines flagged over their allocation): its cleanup removes every row that
references the retailers it imported, whatever table holds it."""

import datetime
import json

from django.core.management import call_command

from accounts.models import Retailer
from bench.imports.files import BENCH_PREFIX, cleanup
from sales.allocation.models import AllocationExcess, AllocationPlan
from sales.models import Order, OrderLine
from tests.accounts.factories import RetailerFactory
from tests.sales.factories import OrderFactory, ProductFactory

DAY = datetime.date(2026, 3, 2)


def test_the_cleanup_removes_an_earlier_runs_retailers_with_their_allocation_excess(
    db, route_a, company_admin
):
    product = ProductFactory(
        code="6901028001663",
        brand="中华",
        name="中华（硬）",
        wholesale_price_fen=37500,
        retail_price_fen=45000,
    )
    plan = AllocationPlan.objects.create(
        product=product,
        org_unit=route_a.org_unit.parent,
        cycle_start=DAY,
        cycle_end=DAY,
        created_by=company_admin,
    )
    kept = RetailerFactory(route=route_a)
    for retailer in (RetailerFactory(route=route_a, customer_code=f"{BENCH_PREFIX}00000001"), kept):
        order = OrderFactory(
            order_no=f"O{retailer.pk}",
            retailer=retailer,
            ordered_on=DAY,
            lines={product: 5},
            price_fen=37500,
            summaries=False,
        )
        line = order.lines.get()
        AllocationExcess.objects.create(
            plan=plan,
            order_line=line,
            retailer=retailer,
            ordered_on=DAY,
            allowance=2,
            ordered_to_date=5,
            excess_cartons=3,
        )

    cleanup()

    assert list(Retailer.objects.filter(customer_code__startswith=BENCH_PREFIX)) == []
    assert list(AllocationExcess.objects.values_list("retailer_id", flat=True)) == [kept.pk]
    assert list(Order.objects.values_list("retailer_id", flat=True)) == [kept.pk]
    assert OrderLine.objects.count() == 1


def test_import_bench_smoke(db, tmp_path):
    path = tmp_path / "import.json"
    call_command("bench", "import", "--scale", "tiny", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert result["name"] == "import"
    assert result["scale"] == "tiny"
    assert result["measured"]["retailers"]["rows_per_s"] > 0
    assert result["baseline"]["rows_per_s"] > 0
    assert AllocationPlan.objects.exists()  # the demo seed it ran on holds allocation data
    assert not Retailer.objects.filter(customer_code__startswith=BENCH_PREFIX).exists()  # cleaned up after
