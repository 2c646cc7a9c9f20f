"""The {{ allowance }} and {{ violation }} template variables, wired in from the campaigns side because sales and
accounts sit below campaigns. (The two journeys that use them, the weekly supply notice and the compliance reminder,
are journeys like the others: campaigns.services.journeys.)"""

from django.utils import timezone

from accounts.compliance.selectors import violation_reminder_texts
from campaigns.templating import VARIABLE_PROVIDERS
from sales.allocation.selectors import allowance_texts, coming_cycle_day


def _allowances(retailer_ids: list[int]) -> dict[int, str]:
    """{{ allowance }}: '黄鹤楼（软蓝） 2条、中华（硬） 1条' for the coming cycle, one query per send batch."""
    return allowance_texts(retailer_ids=retailer_ids, day=coming_cycle_day(timezone.localdate()))


def _violations(retailer_ids: list[int]) -> dict[int, str]:
    """{{ violation }}: the latest standing violation and what to fix."""
    return violation_reminder_texts(retailer_ids=retailer_ids)


def register() -> None:
    """Called from CampaignsConfig.ready()."""
    VARIABLE_PROVIDERS.register("allowance", _allowances, by="campaigns")
    VARIABLE_PROVIDERS.register("violation", _violations, by="campaigns")
