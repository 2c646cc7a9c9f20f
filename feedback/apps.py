from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "feedback"
    verbose_name = _("客户服务")

    def ready(self):
        from django.core import checks

        # survey and portal links as campaign template variables (a hook of the campaigns layer below)
        from feedback import hooks, merge
        from feedback.checks import calendar_covers_this_year

        checks.register(calendar_covers_this_year)
        hooks.register()
        from feedback.portal.links import link_purposes_register

        link_purposes_register()
        merge.register()
        from feedback import privacy as privacy_decisions

        privacy_decisions.register()
        from feedback import system_texts

        system_texts.register()
        # each sub-area keeps its own admin module; admin's autodiscovery looks only for `feedback.admin`
        from feedback.appeals import admin as appeals_admin  # noqa: F401
        from feedback.complaints import admin as complaints_admin  # noqa: F401
        from feedback.complaints.hidden import admin as hidden_admin  # noqa: F401
        from feedback.complaints.notifications import admin as notifications_admin  # noqa: F401
        from feedback.surveys import admin as surveys_admin  # noqa: F401
