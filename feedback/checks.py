"""System check: the holiday calendar should carry this year's official schedule; without it every complaint
deadline is provisional (rule-based public holidays, no make-up days) until the library is upgraded."""

from django.core import checks
from django.utils import timezone

from feedback.complaints.workcal import calendar_coverage


def calendar_covers_this_year(app_configs=None, **kwargs):
    _first, last = calendar_coverage()
    year = timezone.localdate().year
    if last >= year:
        return []
    return [
        checks.Warning(
            f"the holidays library has China's holiday schedule only up to {last}; complaint deadlines in {year} "
            "are provisional (public holidays by rule, without the make-up working days)",
            hint="upgrade the holidays package (pip install -U holidays) once the State Council notice is out",
            id="feedback.W001",
        )
    ]
