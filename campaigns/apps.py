from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("营销触达")

    def ready(self):
        # The supply notice and compliance reminder, and the variables they use (sales and accounts sit below).
        from campaigns import merge, supply  # noqa: F401

        merge.register()
        from campaigns import privacy as privacy_decisions

        privacy_decisions.register()
