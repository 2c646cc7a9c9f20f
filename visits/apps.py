from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = _("走访与培育")

    def ready(self):
        from visits import merge

        merge.register()
        from visits import privacy as privacy_decisions

        privacy_decisions.register()
        from visits.trust import reasons

        reasons.register()
