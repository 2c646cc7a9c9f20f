from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoyaltyConfig(AppConfig):
    name = "loyalty"
    verbose_name = _("会员积分")

    def ready(self):
        # Follow orders as imports land them (a hook of the sales layer) and retailers as they are merged.
        from loyalty import hooks, merge

        hooks.register()
        from loyalty.links import link_purposes_register

        link_purposes_register()
        merge.register()
        from loyalty import privacy as privacy_decisions

        privacy_decisions.register()
        from loyalty import system_texts

        system_texts.register()
