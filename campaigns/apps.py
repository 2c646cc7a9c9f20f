from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("营销触达")

    def ready(self):
        # The {{ allowance }} and {{ violation }} variables (sales and accounts sit below) and the links in messages.
        from campaigns import merge, supply

        supply.register()
        from campaigns.templating import link_purposes_register

        link_purposes_register()

        merge.register()
        from campaigns import privacy as privacy_decisions

        privacy_decisions.register()
