from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("零售客户")

    def ready(self):
        # Register the retailer import with the pipeline (products and orders register in sales).
        from accounts.imports import retailers  # noqa: F401
