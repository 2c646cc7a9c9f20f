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
