from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CockpitConfig(AppConfig):
    """The supervisor's cockpit: KPI snapshots kept by beat, targets with red/amber/green, alerts once per
    crossing, the weekly digest and the monthly operating-analysis report."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "cockpit"
    verbose_name = _("经营驾驶舱")
