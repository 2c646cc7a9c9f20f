"""System check: the holiday calendar must carry this year's official schedule, or complaint deadlines stop."""

from django.core import checks
from django.utils import timezone

from feedback.workcal import calendar_coverage


def calendar_covers_this_year(app_configs=None, **kwargs):
    _first, last = calendar_coverage()
    year = timezone.localdate().year
    if last >= year:
        return []
    return [
        checks.Warning(
            f"the holidays library has China's holiday schedule only up to {last}; complaint deadlines in {year} "
            "cannot be computed",
            hint="upgrade the holidays package (pip install -U holidays) once the State Council notice is out",
            id="feedback.W001",
        )
    ]
