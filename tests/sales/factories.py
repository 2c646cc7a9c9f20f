"""Factories for orders. An order is written straight into the order tables, with its lines, as the result of an
order import would be; the retailer's period summaries and retailer × product weeks are then rebuilt from the lines,
as the import keeps them in its own transaction (pass `summaries=False` where a test writes summary rows itself or
reads only the orders). Products are created through sales.services.product_create, as the product form and the
product import write them; their price class comes from the bands in force (the `default_bands` fixture)."""

import factory
from django.db import connection
from django.utils import timezone

from sales.models import Order, OrderLine, Product
from sales.partitions import history_partitions_ensure
from sales.services import period_summaries_rebuild, product_create
from tests.accounts.factories import RetailerFactory


class ProductFactory(factory.Factory):
    """A product (品规) through `product_create`: validated, then classed by the price bands in force (none without
    them). 100 元 a carton wholesale, 120 元 retail, unless told otherwise."""

    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"69{n + 1:011d}")
    brand = "黄金叶"
    name = factory.Sequence(lambda n: f"黄金叶（测试{n + 1}）")
    wholesale_price_fen = 10000
    retail_price_fen = factory.LazyAttribute(lambda o: o.wholesale_price_fen + 2000)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        return model_class(**kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return product_create(data=kwargs)


class ScarceProductFactory(ProductFactory):
    """A scarce product (紧俏货源), the one allocation plans are made for: 黄鹤楼（软蓝）at 400 元 a carton."""

    code = "6901028999001"
    brand = "黄鹤楼"
    name = "黄鹤楼（软蓝）"
    wholesale_price_fen = 40000
    retail_price_fen = 50000
    is_scarce = True


def _unit_price(price_fen: int | None, product) -> int:
    return price_fen if price_fen is not None else product.wholesale_price_fen


class OrderFactory(factory.django.DjangoModelFactory):
    """OrderFactory(retailer=…, ordered_on=…, lines={product: cartons, …}, price_fen=None): one order with a line
    per product, each at `price_fen` or else the product's wholesale price; the order's cartons and amount are the
    lines' sums."""

    class Meta:
        model = Order

    order_no = factory.Sequence(lambda n: f"T{n + 1:08d}")
    retailer = factory.SubFactory(RetailerFactory)
    ordered_on = factory.LazyFunction(timezone.localdate)
    # not fields of the order: popped before the row is written
    lines = factory.LazyFunction(dict)
    price_fen = None
    summaries = True
    cartons = factory.LazyAttribute(lambda o: sum(o.lines.values()))
    amount_fen = factory.LazyAttribute(
        lambda o: sum(c * _unit_price(o.price_fen, p) for p, c in o.lines.items())
    )

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        for name in ("lines", "price_fen", "summaries"):
            kwargs.pop(name)
        return super()._build(model_class, *args, **kwargs)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        lines, price_fen, summaries = kwargs.pop("lines"), kwargs.pop("price_fen"), kwargs.pop("summaries")
        with connection.cursor() as cursor:  # a writer of orders makes its month first (sales/partitions.py)
            day = kwargs["ordered_on"]
            history_partitions_ensure(cursor=cursor, first=day, last=day)
        order = super()._create(model_class, *args, **kwargs)
        OrderLine.objects.bulk_create(
            OrderLineFactory.build(
                order=order,
                product=product,
                cartons=cartons,
                unit_price_fen=_unit_price(price_fen, product),
            )
            for product, cartons in lines.items()
        )
        if summaries:
            period_summaries_rebuild(retailer_ids=[order.retailer_id])
        return order


class OrderLineFactory(factory.django.DjangoModelFactory):
    """One more line on an existing order (the order's own totals are the caller's to keep): product required."""

    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    ordered_on = factory.LazyAttribute(lambda o: o.order.ordered_on)  # the line's copy of its order's day
    cartons = 1
    unit_price_fen = factory.LazyAttribute(lambda o: o.product.wholesale_price_fen)
    amount_fen = factory.LazyAttribute(lambda o: o.cartons * o.unit_price_fen)
