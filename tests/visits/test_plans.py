"""Visit plans: frequency by tier and value class, the day from the route or the order weekday, every active shop at
least once in any four weeks, and a nightly run that adds nothing the second time."""

import datetime

import pytest

from accounts.models import Retailer
from tests.accounts.factories import RetailerFactory
from tests.visits.factories import VisitPolicyFactory
from visits.models import VisitPlan
from visits.plans.services import plans_generate
from visits.tasks import plans_generate_task

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 23)


def weeks(n):
    return [MONDAY + datetime.timedelta(weeks=i) for i in range(n)]


def plan_days(retailer) -> list[datetime.date]:
    return list(
        VisitPlan.objects.filter(retailer=retailer)
        .order_by("planned_on")
        .values_list("planned_on", flat=True)
    )


def test_frequency_by_tier_band_over_four_weeks(route_a):
    weekly = RetailerFactory(route=route_a, tier=25)
    fortnightly = RetailerFactory(route=route_a, tier=15)
    monthly = RetailerFactory(route=route_a, tier=14)
    untiered = RetailerFactory(route=route_a, tier=None)
    for monday in weeks(4):
        plans_generate(week_of=monday)

    assert len(plan_days(weekly)) == 4
    assert len(plan_days(fortnightly)) == 2
    assert len(plan_days(monthly)) == 1
    assert len(plan_days(untiered)) == 1
    frequencies = dict(VisitPlan.objects.values_list("retailer_id", "frequency").distinct())
    assert frequencies == {
        weekly.pk: "weekly",
        fortnightly.pk: "fortnightly",
        monthly.pk: "monthly",
        untiered.pk: "monthly",
    }
    # fortnightly plans are exactly two weeks apart
    first, second = plan_days(fortnightly)
    assert (second - first).days == 14


def test_every_active_shop_is_planned_once_in_any_four_consecutive_weeks(route_a):
    shops = [RetailerFactory(route=route_a, tier=5) for _ in range(9)]
    for monday in weeks(8):
        plans_generate(week_of=monday)
    for shop in shops:
        days = plan_days(shop)
        assert len(days) == 2  # 8 weeks, every 4 weeks
        assert (days[1] - days[0]).days == 28
    # and the load spreads: the 9 shops fall in all four week slots
    first_weeks = {(plan_days(s)[0] - MONDAY).days // 7 for s in shops}
    assert first_weeks == {0, 1, 2, 3}


def test_suspended_shops_and_unstaffed_routes_get_no_plans(route_a, dept_a):
    RetailerFactory(route=route_a, tier=30, status=Retailer.Status.SUSPENDED)
    from tests.users.factories import RouteFactory

    orphan = RouteFactory(org_unit=dept_a, manager=None)
    RetailerFactory(route=orphan, tier=30)
    assert plans_generate(week_of=MONDAY) == 0
    assert not VisitPlan.objects.exists()


def test_day_is_route_weekday_else_order_weekday_else_monday(route_a, dept_a, manager_a):
    from tests.users.factories import RouteFactory

    route_a.visit_weekday = 3
    route_a.save(update_fields=["visit_weekday"])
    on_route_day = RetailerFactory(route=route_a, tier=30, order_weekday=5)
    free_route = RouteFactory(org_unit=dept_a, manager=manager_a, visit_weekday=None)
    on_order_day = RetailerFactory(route=free_route, tier=30, order_weekday=5)
    on_monday = RetailerFactory(route=free_route, tier=30, order_weekday=None)
    plans_generate(week_of=MONDAY + datetime.timedelta(days=4))  # any day of the week plans that week

    assert plan_days(on_route_day) == [datetime.date(2026, 11, 25)]  # Wednesday
    assert plan_days(on_order_day) == [datetime.date(2026, 11, 27)]  # Friday
    assert plan_days(on_monday) == [MONDAY]
    plan = VisitPlan.objects.get(retailer=on_order_day)
    assert (plan.manager, plan.route) == (manager_a, free_route)


def test_high_value_class_is_weekly_whatever_the_tier_and_the_policy_can_turn_it_off(route_a, give_score):
    shop = RetailerFactory(route=route_a, tier=3)
    give_score(shop, value_class="high")
    for monday in weeks(2):
        plans_generate(week_of=monday)
    assert len(plan_days(shop)) == 2

    VisitPlan.objects.all().delete()
    VisitPolicyFactory(high_value_weekly=False, weekly_min_tier=20, fortnightly_min_tier=2)
    for monday in weeks(2):
        plans_generate(week_of=monday)
    assert len(plan_days(shop)) == 1  # tier 3 ≥ 2: fortnightly under the new policy


def test_generation_is_idempotent_and_keeps_one_plan_per_week_when_the_route_day_changes(route_a):
    shops = [RetailerFactory(route=route_a, tier=28) for _ in range(3)]
    assert plans_generate(week_of=MONDAY) == 3
    assert plans_generate(week_of=MONDAY) == 0
    route_a.visit_weekday = 4
    route_a.save(update_fields=["visit_weekday"])
    assert plans_generate(week_of=MONDAY) == 0
    assert VisitPlan.objects.filter(retailer__in=shops).count() == 3


def test_nightly_task_plans_this_and_next_week(route_a, monkeypatch):
    from django.utils import timezone

    RetailerFactory(route=route_a, tier=30)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: MONDAY + datetime.timedelta(days=2))
    assert plans_generate_task() == {"this_week": 1, "next_week": 1}
    assert plans_generate_task() == {"this_week": 0, "next_week": 0}
    assert sorted(VisitPlan.objects.values_list("planned_on", flat=True)) == [
        MONDAY,
        MONDAY + datetime.timedelta(7),
    ]


def test_setup_schedules_creates_the_nightly_plan_job():
    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=open("/dev/null", "w"))  # noqa: SIM115
    task = PeriodicTask.objects.get(name="visits-plans-generate")
    assert task.task == "visits.plans_generate"
    assert (task.crontab.hour, task.crontab.minute) == ("2", "50")
