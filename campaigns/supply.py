"""Outreach for supply and compliance, wired in from the campaigns side because sales and accounts sit below
campaigns: the {{ allowance }} and {{ violation }} template variables, and two journey kinds — the weekly supply
notice (retailers with a non-zero allowance in the coming cycle's published plans) and the compliance reminder
(retailers with a violation recorded since the previous run: each violation falls in exactly one day's window, and
the occurrence key and the delivery's uniqueness make it one message)."""

from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.compliance.models import Violation
from accounts.compliance.selectors import violation_reminder_texts
from accounts.models import Retailer
from campaigns.models import Journey, Purpose
from campaigns.services.journeys import AUDIENCES, PURPOSES, _active, _window
from campaigns.templating import VARIABLE_PROVIDERS
from sales.allocation.selectors import allowance_texts, coming_cycle_day, retailers_with_allowance

SUPPLY_NOTICE_WEEKDAY = 5  # ISO weekday: Friday, before the coming week's ordering


def _allowances(retailer_ids: list[int]) -> dict[int, str]:
    """{{ allowance }}: '黄鹤楼（软蓝） 2条、中华（硬） 1条' for the coming cycle, one query per send batch."""
    return allowance_texts(retailer_ids=retailer_ids, day=coming_cycle_day(timezone.localdate()))


def _violations(retailer_ids: list[int]) -> dict[int, str]:
    """{{ violation }}: the latest standing violation and what to fix."""
    return violation_reminder_texts(retailer_ids=retailer_ids)


def _supply_notice(journey, day):
    weekday = journey.params.get("weekday", SUPPLY_NOTICE_WEEKDAY)
    if day.isoweekday() != weekday:
        return
    cycle_day = coming_cycle_day(day)
    yield f"cycle:{cycle_day.isoformat()}", _active(retailers_with_allowance(day=cycle_day)), {}, ()


def _compliance_reminder(journey, day):
    start, end = _window(journey, day)
    recorded = Violation.objects.filter(
        retailer=OuterRef("pk"), recorded_at__gte=start, recorded_at__lt=end, voided_at__isnull=True
    )
    yield day.isoformat(), _active(Retailer.objects.filter(Exists(recorded))), {}, ()


VARIABLE_PROVIDERS.register("allowance", _allowances, by="campaigns")
VARIABLE_PROVIDERS.register("violation", _violations, by="campaigns")
AUDIENCES[Journey.Kind.SUPPLY_NOTICE] = _supply_notice
AUDIENCES[Journey.Kind.COMPLIANCE_REMINDER] = _compliance_reminder
PURPOSES[Journey.Kind.SUPPLY_NOTICE] = Purpose.NOTICE
PURPOSES[Journey.Kind.COMPLIANCE_REMINDER] = Purpose.NOTICE
