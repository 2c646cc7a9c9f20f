"""The weekly supply notice and the compliance reminder journeys, and the {{ allowance }} / {{ violation }}
variables that sales and accounts supply through campaigns."""

import datetime

import pytest
from django.utils import timezone

from accounts.compliance.models import Violation
from accounts.compliance.services import violation_record, violation_void
from campaigns import templating
from campaigns.models import Campaign, Delivery, Journey
from campaigns.services.journeys import journey_update, journeys_ensure, journeys_run_due
from sales.allocation.selectors import coming_cycle_day
from sales.allocation.services import allocation_plan_create, allocation_plan_publish
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import TemplateFactory, sms_body
from tests.campaigns.test_journeys import at
from tests.sales.factories import ScarceProductFactory

FRIDAY = datetime.date(2026, 6, 5)
NEXT_MONDAY = datetime.date(2026, 6, 8)


@pytest.fixture(autouse=True)
def credit_rule(db):
    """The default credit rule (migration data a flushing test may have removed from a reused database)."""
    from accounts.compliance.models import CreditRule

    return CreditRule.objects.get_or_create(is_active=True, defaults={"name": "默认信用规则"})[0]


@pytest.fixture
def journey_of(county_a, supervisor_a):
    def make(kind, body, **params):
        journeys_ensure(org_unit=county_a)
        journey = Journey.objects.get(org_unit=county_a, kind=kind)
        template = TemplateFactory(org_unit=county_a, created_by=supervisor_a, body=sms_body(body))
        data = {"enabled": True, "template": template}
        if params:
            data["params"] = params
        return journey_update(actor=supervisor_a, journey=journey, data=data)

    return make


@pytest.fixture
def plan_for(supervisor_a, county_a, default_bands):
    def make(cycle_start, name="黄鹤楼（软蓝）", code="6901028999001", rules=None):
        product = ScarceProductFactory(code=code, brand=name[:3], name=name)
        plan = allocation_plan_create(
            actor=supervisor_a,
            product_id=product.pk,
            org_unit_id=county_a.pk,
            cycle_start=cycle_start,
            supply_cartons=1000,
            rules=rules or [{"tier_from": 20, "tier_to": 30, "market_type": "C", "cartons": 2}],
        )
        return allocation_plan_publish(actor=supervisor_a, plan=plan)

    return make


def recipients(journey):
    return set(Delivery.objects.filter(campaign__journey=journey).values_list("retailer_id", flat=True))


def test_supply_notice_goes_on_friday_to_retailers_allowed_something_next_week(journey_of, plan_for, route_a):
    allowed = RetailerFactory(route=route_a, tier=24)
    RetailerFactory(route=route_a, tier=5)  # no rule for tier 5: 0, not told
    plan_for(NEXT_MONDAY)  # published plans freeze the retailers they hold
    journey = journey_of(Journey.Kind.SUPPLY_NOTICE, "本周货源：{{ allowance }}")

    assert journeys_run_due(now=at(FRIDAY - datetime.timedelta(days=1))) == []  # Thursday: nothing
    started = journeys_run_due(now=at(FRIDAY))
    again = journeys_run_due(now=at(FRIDAY, 16))

    assert [c.occurrence_key for c in started] == [f"cycle:{NEXT_MONDAY.isoformat()}"]
    assert again == []
    assert recipients(journey) == {allowed.pk}
    assert started[0].purpose == "notice"


def test_supply_notice_weekday_is_a_journey_parameter(journey_of, plan_for, route_a):
    RetailerFactory(route=route_a, tier=24)
    plan_for(NEXT_MONDAY)
    journey_of(Journey.Kind.SUPPLY_NOTICE, "{{ allowance }}", weekday=1)
    assert journeys_run_due(now=at(FRIDAY)) == []
    [occurrence] = journeys_run_due(now=at(NEXT_MONDAY))
    assert occurrence.occurrence_key == f"cycle:{NEXT_MONDAY.isoformat()}"


def test_allowance_variable_renders_the_coming_cycles_allowances(plan_for, route_a, retailer_b):
    monday = coming_cycle_day(timezone.localdate())
    shop = RetailerFactory(route=route_a, tier=24)
    plan_for(monday)
    plan_for(
        monday,
        name="中华（硬）",
        code="6901028999002",
        rules=[{"tier_from": 1, "tier_to": 30, "market_type": "C", "cartons": 1}],
    )
    provided = templating.provided_values(["allowance"], [shop.pk, retailer_b.pk])
    assert provided["allowance"] == {shop.pk: "黄鹤楼（软蓝） 2条、中华（硬） 1条", retailer_b.pk: ""}
    assert templating.missing_providers("{{ allowance }} {{ violation }}") == []


def test_compliance_reminder_messages_each_new_violation_once(journey_of, route_a, supervisor_a):
    first, second, voided = (RetailerFactory(route=route_a) for _ in range(3))
    journey = journey_of(Journey.Kind.COMPLIANCE_REMINDER, "{{ violation }}")
    day = timezone.localdate()
    data = {"occurred_on": day, "type": "licence_hidden", "penalty": "warning", "source": "inspection"}
    a = violation_record(actor=supervisor_a, retailer=first, data=data)
    b = violation_record(actor=supervisor_a, retailer=voided, data=data)
    violation_void(actor=supervisor_a, violation=b, reason="误登记")
    send_day = day + datetime.timedelta(days=1)
    Violation.objects.filter(pk__in=[a.pk, b.pk]).update(recorded_at=at(day, 12))

    [occurrence] = journeys_run_due(now=at(send_day))
    assert recipients(journey) == {first.pk}
    assert occurrence.occurrence_key == send_day.isoformat()

    later = violation_record(actor=supervisor_a, retailer=second, data=data)
    Violation.objects.filter(pk=later.pk).update(recorded_at=at(send_day, 12))
    journeys_run_due(now=at(send_day + datetime.timedelta(days=1)))
    per_retailer = list(
        Delivery.objects.filter(campaign__journey=journey).values_list("retailer_id", flat=True)
    )
    assert sorted(per_retailer) == sorted([first.pk, second.pk])  # the first violation is not sent again
    assert Campaign.objects.filter(journey=journey).count() == 2


def test_violation_variable_says_what_to_fix(route_a, supervisor_a):
    shop = RetailerFactory(route=route_a)
    violation_record(
        actor=supervisor_a,
        retailer=shop,
        data={
            "occurred_on": datetime.date(2025, 7, 3),
            "type": "minors",
            "penalty": "warning",
            "source": "inspection",
        },
    )
    assert templating.provided_values(["violation"], [shop.pk])["violation"] == {
        shop.pk: "07月03日向未成年人售烟，请张贴“不向未成年人售烟”标识，拿不准年龄时查验身份证"
    }


def test_the_supply_notice_weekday_is_set_on_the_journey_page_and_validated(
    client_for, supervisor_a, county_a
):
    from django.core.exceptions import ValidationError

    journeys_ensure(org_unit=county_a)
    journey = Journey.objects.get(org_unit=county_a, kind=Journey.Kind.SUPPLY_NOTICE)
    client = client_for(supervisor_a)
    page = client.get(f"/campaigns/journeys/{journey.pk}/").content.decode()
    assert 'name="weekday"' in page
    response = client.post(
        f"/campaigns/journeys/{journey.pk}/",
        {"channel": "sms", "send_time": "09:00", "holdout_pct": "0", "weekday": "4"},
    )
    assert response.status_code == 302
    journey.refresh_from_db()
    assert journey.params["weekday"] == 4
    with pytest.raises(ValidationError):
        journey_update(actor=supervisor_a, journey=journey, data={"params": {"weekday": 9}})
