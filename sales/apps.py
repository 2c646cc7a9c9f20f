from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("卷烟销售")

    def ready(self):
        # Product and order files go through the accounts import pipeline (each spec registers when imported);
        # merge says what a merge of duplicate retailers does with orders, summaries and excess flags.
        from sales import merge
        from sales.imports import orders, products  # noqa: F401

        merge.register()
        from sales import privacy as privacy_decisions

        privacy_decisions.register()

        # Imported order lines are checked against the published allocation limits (excess flagged set-based).
        from sales.allocation.services import allocation_excess_flag_orders
        from sales.services import ORDERS_CREATED

        ORDERS_CREATED.register("allocation-excess", allocation_excess_flag_orders, by="sales")
