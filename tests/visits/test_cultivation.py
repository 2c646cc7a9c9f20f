"""Brand cultivation: targets by the price-band rule on hand-built orders, by hand within scope, progress
(selling, sell-through, shelf presence) on hand-computed cartons, per manager, and the pages and API."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Retailer
from tests.accounts.factories import RetailerFactory
from tests.users.factories import ManagerFactory, RouteFactory
from visits.cultivation.selectors import periods_of, programme_progress
from visits.cultivation.services import programme_create, programme_targets_add, programme_targets_by_rule
from visits.models import CultivationProgramme, CultivationTarget, Visit, VisitStockCheck

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 11, 15)


@pytest.fixture
def programme(products, dept_a, supervisor_a):
    return programme_create(
        actor=supervisor_a,
        name="黄金叶（天叶）培育",
        product=products["HJY"],
        org_unit=dept_a,
        starts_on=D(2026, 11, 2),
        ends_on=D(2026, 11, 29),
        goal_selling_retailers=10,
        goal_sell_through_pct=200,
        rule_weeks=4,  # the rule looks at 2026-10-05 .. 2026-11-01
    )


@pytest.fixture
def shops(retailer_a, retailer_b, route_a, place_order):
    t1 = retailer_a
    t2, t3, t4, t5, t6 = (RetailerFactory(route=route_a) for _ in range(5))
    place_order(t1, {"YX": 5}, D(2026, 10, 20))  # same price class, not HJY: a target
    place_order(t2, {"YX": 3}, D(2026, 10, 25))
    place_order(t2, {"HJY": 2}, D(2026, 10, 28))  # already sells HJY: not a target
    place_order(t3, {"SX": 8}, D(2026, 10, 20))  # another price class: not a target
    place_order(t4, {"YX": 4}, D(2026, 9, 20))  # before the window: not a target
    place_order(t5, {"YX": 4}, D(2026, 10, 20))
    Retailer.objects.filter(pk=t5.pk).update(status=Retailer.Status.SUSPENDED)  # not active: not a target
    place_order(t6, {"YX": 2}, D(2026, 11, 2))  # on the start day, outside the window: not a target
    place_order(retailer_b, {"YX": 6}, D(2026, 10, 20))  # another department: not a target
    return {"t1": t1, "t2": t2, "t3": t3, "t4": t4, "t5": t5, "t6": t6, "b": retailer_b}


def targets_of(programme) -> set[int]:
    return set(CultivationTarget.objects.filter(programme=programme).values_list("retailer_id", flat=True))


def test_rule_targets_shops_where_the_price_band_sells_but_the_product_does_not(programme, shops):
    assert programme_targets_by_rule(programme=programme) == 1
    assert targets_of(programme) == {shops["t1"].pk}
    assert CultivationTarget.objects.get().source == "rule"
    assert programme_targets_by_rule(programme=programme) == 0  # again: nothing new


def test_hand_targets_must_be_in_the_actors_scope_and_the_programmes_unit(programme, shops, manager_a):
    with pytest.raises(ValidationError):
        programme_targets_add(
            actor=manager_a, programme=programme, retailer_ids=[shops["t2"].pk, shops["b"].pk]
        )
    assert targets_of(programme) == set()
    assert programme_targets_add(actor=manager_a, programme=programme, retailer_ids=[shops["t2"].pk]) == 1
    assert programme_targets_add(actor=manager_a, programme=programme, retailer_ids=[shops["t2"].pk]) == 0
    assert targets_of(programme) == {shops["t2"].pk}


def test_programme_dates_and_unit_are_validated(products, dept_a, dept_b, supervisor_a):
    base = {
        "actor": supervisor_a,
        "name": "x",
        "product": products["HJY"],
        "goal_selling_retailers": 1,
        "goal_sell_through_pct": 100,
    }
    with pytest.raises(ValidationError):
        programme_create(**base, org_unit=dept_a, starts_on=D(2026, 11, 30), ends_on=D(2026, 11, 1))
    with pytest.raises(ValidationError):
        programme_create(**base, org_unit=dept_b, starts_on=D(2026, 11, 1), ends_on=D(2026, 11, 30))


def test_periods_are_the_run_so_far_and_as_many_days_before_the_start(programme):
    p = periods_of(programme, TODAY)
    assert (p.this_from, p.this_to, p.last_from, p.last_to, p.days) == (
        D(2026, 11, 2),
        D(2026, 11, 15),
        D(2026, 10, 19),
        D(2026, 11, 1),
        14,
    )
    before = periods_of(programme, D(2026, 10, 1))
    assert before.this_to is None
    assert (before.last_from, before.last_to) == (
        D(2026, 10, 5),
        D(2026, 11, 1),
    )  # 28 days, the whole programme


@pytest.fixture
def progress_case(programme, shops, place_order, manager_a, supervisor_a, dept_a):
    t1, t2 = shops["t1"], shops["t2"]
    programme_targets_by_rule(programme=programme)  # t1
    programme_targets_add(actor=manager_a, programme=programme, retailer_ids=[t2.pk])
    other_manager = ManagerFactory(username="manager_c", display_name="陈经理", org_unit=dept_a)
    t7 = RetailerFactory(route=RouteFactory(org_unit=dept_a, manager=other_manager))
    programme_targets_add(actor=supervisor_a, programme=programme, retailer_ids=[t7.pk])
    # this period (11-02..11-15): t1 3 + 2, t2 4 → 9 cartons; t2's 11-20 order is after today
    place_order(t1, {"HJY": 3}, D(2026, 11, 5))
    place_order(t1, {"HJY": 2, "YX": 7}, D(2026, 11, 12))
    place_order(t2, {"HJY": 4}, D(2026, 11, 9))
    place_order(t2, {"HJY": 9}, D(2026, 11, 20))
    # last period (10-19..11-01): t2's 2 cartons on 10-28 (from the shops fixture) → 2
    # shelf: t1 latest check in stock, t2 latest check not; t2's check before the start is ignored
    for shop, day, in_stock in ((t1, 11, False), (t1, 14, True), (t2, 8, False), (t2, 1, True)):
        visit = Visit.objects.create(
            retailer=shop,
            manager=manager_a,
            visited_on=D(2026, 11, day),
            checked_in_at=timezone.now(),
            location_flag="ok",
        )
        VisitStockCheck.objects.create(visit=visit, programme=programme, in_stock=in_stock)
    return other_manager


def test_progress_on_hand_computed_orders_and_visits(programme, progress_case, supervisor_a, manager_a):
    _periods, total, by_manager = programme_progress(user=supervisor_a, programme=programme, today=TODAY)
    # 3 targets; 9 cartons this period, 2 last; averages 9/3 = 3.00 and 2/3 = 0.67; sell-through 9/2 = 450%
    assert (total.targets, total.selling, total.this_cartons, total.last_cartons) == (3, 2, 9, 2)
    assert (total.avg_this, total.avg_last) == (Decimal("3.00"), Decimal("0.67"))
    assert total.sell_through_pct == Decimal("450.0")
    assert (total.checked, total.in_stock, total.shelf_pct) == (2, 1, Decimal("50.0"))
    rows = {p.manager.username: p for p in by_manager}
    assert (rows["manager_a"].targets, rows["manager_a"].this_cartons, rows["manager_a"].avg_this) == (
        2,
        9,
        Decimal("4.50"),
    )
    assert rows["manager_c"].targets == 1
    assert rows["manager_c"].sell_through_pct is None  # bought nothing in either period
    assert rows["manager_c"].shelf_pct is None

    _p, own, own_rows = programme_progress(user=manager_a, programme=programme, today=TODAY)
    assert (own.targets, own.this_cartons, own.last_cartons) == (2, 9, 2)
    assert [r.manager for r in own_rows] == [manager_a]


def test_pages_and_api_are_scoped(
    programme, progress_case, client_for, api_client_for, supervisor_a, manager_b
):
    page = client_for(supervisor_a).get(f"/visits/cultivation/{programme.pk}/")
    assert page.status_code == 200
    assert "黄金叶（天叶）培育" in page.content.decode()
    assert client_for(manager_b).get(f"/visits/cultivation/{programme.pk}/").status_code == 404
    assert (
        api_client_for(manager_b).get(f"/api/v1/cultivation-programmes/{programme.pk}/progress/").status_code
        == 404
    )
    body = api_client_for(supervisor_a).get(f"/api/v1/cultivation-programmes/{programme.pk}/progress/").json()
    assert body["total"]["targets"] == 3
    assert body["this_from"] == "2026-11-02"


def test_api_adds_targets_by_rule_and_refuses_other_territory(programme, shops, api_client_for, supervisor_a):
    api = api_client_for(supervisor_a)
    url = f"/api/v1/cultivation-programmes/{programme.pk}/targets/"
    assert api.post(url, {"select_by": "rule"}, format="json").json() == {"added": 1}
    refused = api.post(url, {"select_by": "hand", "retailers": [shops["b"].pk]}, format="json")
    assert refused.status_code == 400
    assert targets_of(programme) == {shops["t1"].pk}


def test_page_form_creates_a_programme_and_managers_cannot(
    client_for, supervisor_a, manager_a, products, dept_a
):
    data = {
        "name": "玉溪培育",
        "product": products["YX"].pk,
        "org_unit": dept_a.pk,
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "goal_selling_retailers": 20,
        "goal_sell_through_pct": 150,
        "rule_weeks": 8,
    }
    response = client_for(supervisor_a).post("/visits/cultivation/", data)
    assert response.status_code == 302
    created = CultivationProgramme.objects.get(name="玉溪培育")
    assert (created.created_by, created.product) == (supervisor_a, products["YX"])
    assert client_for(manager_a).post("/visits/cultivation/", data).status_code == 403
    assert CultivationProgramme.objects.count() == 1
