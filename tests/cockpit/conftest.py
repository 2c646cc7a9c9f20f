"""Hand-built data for the cockpit: two counties, four retailers, a week of purchases with known sums.

county_a ── dept_a ── route_a (manager_a): r1 (ordered 10 cartons ¥2,000), r2 (30 cartons ¥4,500), r3 (none, no route)
county_b ── dept_b ── route_b (manager_b): r4 (none)
"""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Retailer
from cockpit.models import Period
from cockpit.selectors.cockpit import default_start
from sales.models import RetailerPeriodSummary
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import smtp_server  # noqa: F401 - a fixture (the local SMTP server)
from tests.feedback.conftest import eager_tasks  # noqa: F401 - a fixture


@pytest.fixture
def week():
    """The last complete week: what the cockpit opens on and what alerts judge."""
    return default_start(Period.WEEK, timezone.localdate())


@pytest.fixture
def shops(route_a, route_b, week):
    r1 = RetailerFactory(route=route_a, shop_name="甲一便利店")
    r2 = RetailerFactory(route=route_a, shop_name="甲二烟酒店")
    r3 = RetailerFactory(route=route_a, shop_name="甲三副食店")
    r4 = RetailerFactory(route=route_b, shop_name="乙一超市")
    # r3's route lost its manager's assignment (moved to no route); r1 consented to SMS
    Retailer.objects.filter(pk=r3.pk).update(route=None)
    Retailer.objects.filter(pk=r1.pk).update(sms_consent=True)
    created = timezone.now() - datetime.timedelta(days=400)
    Retailer.objects.filter(pk__in=[r1.pk, r2.pk, r3.pk, r4.pk]).update(created_at=created)
    rows = [
        (r1, week, 1, 10, 200_000),
        (r2, week, 1, 30, 450_000),
        (r1, week - datetime.timedelta(days=7), 1, 5, 100_000),
    ]
    RetailerPeriodSummary.objects.bulk_create(
        RetailerPeriodSummary(
            retailer=r, period="week", period_start=start, order_count=n, cartons=c, amount_fen=a
        )
        for r, start, n, c, a in rows
    )
    return r1, r2, r3, r4
