from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("卷烟销售")

    def ready(self):
        # Product and order files go through the accounts import pipeline.
        from accounts.dedupe import merge_handler
        from sales import imports  # noqa: F401
        from sales.services import retailer_orders_move

        # A merge of duplicate retailers moves their orders too.
        merge_handler(retailer_orders_move)

        # Imported order lines are checked against the published allocation limits (excess flagged set-based).
        from sales.allocation.services import allocation_excess_flag_orders
        from sales.services import orders_created_handler

        orders_created_handler(allocation_excess_flag_orders)
