from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "sales"
    verbose_name = _("卷烟销售")

    def ready(self):
        # Product and order files go through the accounts import pipeline.
        from sales import imports  # noqa: F401
