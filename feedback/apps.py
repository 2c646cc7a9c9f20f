from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("客户服务")

    def ready(self):
        from django.core import checks

        # survey and portal links as campaign template variables (a hook of the campaigns layer below)
        from feedback import hooks, merge  # noqa: F401
        from feedback.checks import calendar_covers_this_year

        checks.register(calendar_covers_this_year)
        merge.register()
        from feedback import privacy as privacy_decisions

        privacy_decisions.register()
        from feedback import system_texts

        system_texts.register()
