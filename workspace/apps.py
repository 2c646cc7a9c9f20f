from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """Each role's home: the customer manager's workspace (today's work, one tap from each action) and the
    administrator's system health (beat, periodic task runs, queues, database)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workspace"
    verbose_name = _("工作台")
