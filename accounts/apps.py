from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("零售客户")

    def ready(self):
        from django.core import checks

        # Register the retailer import with the pipeline (products and orders register in sales).
        from accounts import merge
        from accounts import privacy as privacy_decisions
        from accounts.dedupe.services import merge_decisions_check
        from accounts.imports.retailers import spec  # noqa: F401
        from accounts.personal_data import privacy_decisions_check

        merge.register()
        privacy_decisions.register()
        checks.register(merge_decisions_check)
        checks.register(privacy_decisions_check)
