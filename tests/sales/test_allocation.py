"""Allocation (货源投放) on a hand-built county: limits per tier band × market type, the preview against the supply,
publishing and versions, explanations, excess flags from imports, fill rate, and bad input refused."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import ConflictError
from sales.allocation.models import AllocationExcess, AllocationPlan
from sales.allocation.selectors import (
    allocation_fill_rate,
    allocation_preview,
    allowance_texts,
    coming_cycle_day,
    retailer_allowances,
    retailers_with_allowance,
)
from sales.allocation.services import (
    allocation_excess_refresh,
    allocation_plan_create,
    allocation_plan_new_version,
    allocation_plan_publish,
    allocation_plan_update,
)
from tests.imports.helpers import run_import
from tests.sales.allocation_cases import FRI, MONDAY, RULES, WED
from tests.sales.factories import ProductFactory
from tests.sales.helpers import order_line, orders_csv


def publish(plan, user, reason="总部追加 1 条"):
    return allocation_plan_publish(actor=user, plan=plan, override_reason=reason)


def test_a_weekly_plan_runs_monday_to_sunday(draft):
    assert (draft.cycle_start, draft.cycle_end, draft.version, draft.state) == (
        MONDAY,
        datetime.date(2025, 5, 4),
        1,
        "draft",
    )


def test_preview_sums_the_limits_of_eligible_retailers_by_rule_row(draft):
    preview = allocation_preview(plan=draft)
    rows = {(r["tier_label"], r["rule"].market_type): (r["retailers"], r["total"]) for r in preview["rows"]}
    assert rows == {
        ("档位 20–30", "C"): (1, 2),  # town24; the suspended and expired shops are held at 0
        ("档位 10–19", "C"): (1, 1),
        ("档位 20–30", "X"): (1, 1),
        ("档位 1–19", "X"): (0, 0),
    }
    assert {b["reason"]: b["retailers"] for b in preview["blocked"]} == {
        "expired": 1,
        "no_rule": 1,
        "suspended": 1,
    }
    assert (preview["total"], preview["supply"], preview["over"]) == (4, 3, True)


def test_publishing_over_the_supply_needs_a_reason(draft, supervisor_a):
    with pytest.raises(ValidationError) as error:
        publish(draft, supervisor_a, reason="  ")
    assert "override_reason" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.state == "draft"
    plan = publish(draft, supervisor_a)
    assert (plan.state, plan.total_allowance, plan.override_reason) == ("published", 4, "总部追加 1 条")


def test_publishing_within_the_supply_keeps_no_override_reason(draft, supervisor_a):
    allocation_plan_update(actor=supervisor_a, plan=draft, supply_cartons=4, rules=RULES)
    plan = publish(draft, supervisor_a, reason="不需要")
    assert (plan.total_allowance, plan.override_reason) == (4, "")


def test_each_retailer_gets_its_rule_row_or_zero_with_the_reason(draft, supervisor_a, county, retailer_b):
    publish(draft, supervisor_a)
    ids = [s.pk for s in county.values()] + [retailer_b.pk]
    allowances = retailer_allowances(retailer_ids=ids, day=WED)
    got = {name: [(a.cartons, a.explanation) for a in allowances[s.pk]] for name, s in county.items()}
    assert got == {
        "town24": [(2, "档位 24 · 城镇 → 每周 2 条")],
        "rural24": [(1, "档位 24 · 乡村 → 每周 1 条")],
        "town10": [(1, "档位 10 · 城镇 → 每周 1 条")],
        "town5": [(0, "档位 5 · 城镇 无对应规则 → 0 条")],
        "suspended": [(0, "许可证暂停 → 0 条")],
        "expired": [(0, "许可证已过期 → 0 条")],
    }
    assert allowances[retailer_b.pk] == []  # county B is outside the plan's unit
    assert (
        retailer_allowances(retailer_ids=ids, day=MONDAY - datetime.timedelta(days=1))[county["town24"].pk]
        == []
    )


def test_a_published_plan_is_locked_and_a_new_version_supersedes_it(draft, supervisor_a, county):
    publish(draft, supervisor_a)
    with pytest.raises(ConflictError):
        allocation_plan_update(actor=supervisor_a, plan=draft, supply_cartons=9, rules=RULES)
    v2 = allocation_plan_new_version(actor=supervisor_a, plan=draft)
    assert (v2.version, v2.state, v2.rules.count()) == (2, "draft", 4)
    with pytest.raises(ValidationError):  # one draft at a time
        allocation_plan_new_version(actor=supervisor_a, plan=draft)
    rules = [dict(r) for r in RULES]
    rules[0]["cartons"] = 3
    allocation_plan_update(actor=supervisor_a, plan=v2, supply_cartons=10, rules=rules)
    publish(v2, supervisor_a)
    draft.refresh_from_db()
    assert draft.state == "superseded"
    assert [p.version for p in AllocationPlan.objects.filter(state="published")] == [2]
    town24 = retailer_allowances(retailer_ids=[county["town24"].pk], day=WED)[county["town24"].pk]
    assert [(a.cartons, a.plan.version) for a in town24] == [(3, 2)]


def test_an_overlapping_plan_in_a_unit_above_is_refused(draft, supervisor_a, company_admin, company, scarce):
    publish(draft, supervisor_a)
    above = allocation_plan_create(
        actor=company_admin,
        product_id=scarce.pk,
        org_unit_id=company.pk,
        cycle_start=MONDAY,
        supply_cartons=100,
        rules=RULES,
    )
    with pytest.raises(ValidationError) as error:
        publish(above, company_admin)
    assert "cycle_start" in error.value.message_dict


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([{"tier_from": 1, "tier_to": 30, "market_type": "C", "cartons": -1}], "限量不能为负数"),
        (
            [
                {"tier_from": 1, "tier_to": 20, "market_type": "C", "cartons": 1},
                {"tier_from": 20, "tier_to": 30, "market_type": "C", "cartons": 2},
            ],
            "重叠",
        ),
        ([{"tier_from": 25, "tier_to": 20, "market_type": "C", "cartons": 1}], "起不大于止"),
        ([{"tier_from": 0, "tier_to": 31, "market_type": "C", "cartons": 1}], "1–30"),
        ([{"tier_from": 1, "tier_to": 30, "market_type": "Z", "cartons": 1}], "市场类型"),
        ([{"tier_from": "a", "tier_to": 30, "market_type": "C", "cartons": 1}], "整数"),
    ],
)
def test_bad_rule_rows_are_refused_and_nothing_is_written(supervisor_a, county_a, scarce, rules, message):
    with pytest.raises(ValidationError) as error:
        allocation_plan_create(
            actor=supervisor_a,
            product_id=scarce.pk,
            org_unit_id=county_a.pk,
            cycle_start=MONDAY,
            supply_cartons=3,
            rules=rules,
        )
    assert message in " ".join(error.value.message_dict["rules"])
    assert not AllocationPlan.objects.exists()


def test_unknown_or_plentiful_products_and_odd_cycles_are_refused(supervisor_a, county_a, scarce, products):
    base = {"actor": supervisor_a, "org_unit_id": county_a.pk, "supply_cartons": 3, "rules": RULES}
    with pytest.raises(ValidationError, match="未知的品规"):
        allocation_plan_create(product_id=999999, cycle_start=MONDAY, **base)
    plentiful = next(iter(products.values()))
    with pytest.raises(ValidationError, match="紧俏"):
        allocation_plan_create(product_id=plentiful.pk, cycle_start=MONDAY, **base)
    with pytest.raises(ValidationError, match="周一"):
        allocation_plan_create(product_id=scarce.pk, cycle_start=WED, **base)
    with pytest.raises(ValidationError, match="负数"):
        allocation_plan_create(product_id=scarce.pk, cycle_start=MONDAY, **{**base, "supply_cartons": -5})
    with pytest.raises(ValidationError, match="早于"):
        allocation_plan_create(product_id=scarce.pk, cycle_start=WED, cycle_end=MONDAY, **base)
    with pytest.raises(ValidationError, match="31 天"):
        allocation_plan_create(
            product_id=scarce.pk, cycle_start=MONDAY, cycle_end=MONDAY + datetime.timedelta(days=40), **base
        )
    assert not AllocationPlan.objects.exists()


def test_managers_and_other_units_may_not_plan(manager_a, supervisor_a, county_b, scarce):
    for actor, unit in ((manager_a, county_b), (supervisor_a, county_b)):
        with pytest.raises(PermissionDenied):
            allocation_plan_create(
                actor=actor,
                product_id=scarce.pk,
                org_unit_id=unit.pk,
                cycle_start=MONDAY,
                supply_cartons=1,
                rules=RULES,
            )


def _line(no, shop, day, cartons, product):
    return order_line(no, shop.licence_no, day, product.code, cartons, product.wholesale_price_fen)


def test_imported_lines_over_the_limit_are_flagged_and_fill_rate_is_exact(
    draft, supervisor_a, county, scarce, products
):
    publish(draft, supervisor_a)
    other = next(iter(products.values()))
    town24, rural24, town10 = county["town24"], county["rural24"], county["town10"]
    lines = [
        _line("A1", town24, MONDAY, 1, scarce),  # 1 of 2
        _line("A2", town24, FRI, 3, scarce),  # running 4: 2 over the limit of 2
        _line("A2", town24, FRI, 10, other),  # not a planned product
        _line("B1", rural24, WED, 1, scarce),  # exactly the limit
        _line("C1", town10, WED, 0 + 2, other),
    ]
    run_import(user=supervisor_a, kind="orders", content=orders_csv(lines))
    excess = list(
        AllocationExcess.objects.values_list("retailer_id", "allowance", "ordered_to_date", "excess_cartons")
    )
    assert excess == [(town24.pk, 2, 4, 2)]
    report = allocation_fill_rate(user=supervisor_a, day=WED)
    by_tier = {
        (r["tier"]): (r["retailers"], r["allowed"], r["ordered"], r["filled"], r["excess"], r["rate"])
        for r in report["rows"]
    }
    # tier 24: town24 allowed 2 ordered 4 (2 within), rural24 allowed 1 ordered 1 -> filled 3 of 3
    assert by_tier[24] == (2, 3, 5, 3, 2, 100.0)
    assert by_tier[10] == (1, 1, 0, 0, 0, 0.0)
    assert by_tier[5] == (1, 0, 0, 0, 0, None)
    assert report["products"] == [
        {"product": "黄鹤楼（软蓝）", "allowed": 4, "ordered": 5, "filled": 3, "excess": 2, "rate": 75.0}
    ]
    # a manager sees the same figures over their own route (all of these shops are on it)
    assert allocation_fill_rate(user=supervisor_a, day=WED)["products"][0]["allowed"] == 4


def test_publishing_a_new_version_recomputes_the_excess(draft, supervisor_a, county, scarce):
    publish(draft, supervisor_a)
    run_import(
        user=supervisor_a, kind="orders", content=orders_csv([_line("A1", county["town24"], WED, 3, scarce)])
    )
    assert list(AllocationExcess.objects.values_list("excess_cartons", "plan_id")) == [(1, draft.pk)]
    v2 = allocation_plan_new_version(actor=supervisor_a, plan=draft)
    rules = [dict(r) for r in RULES]
    rules[0]["cartons"] = 3
    allocation_plan_update(actor=supervisor_a, plan=v2, supply_cartons=10, rules=rules)
    publish(v2, supervisor_a)
    assert not AllocationExcess.objects.exists()
    assert allocation_excess_refresh(plan_ids=[v2.pk]) == 0


def test_allowance_variable_lists_non_zero_allowances(draft, supervisor_a, county, company_admin, scarce):
    publish(draft, supervisor_a)
    zh = ProductFactory(
        code="6901028999002",
        brand="中华",
        name="中华（硬）",
        wholesale_price_fen=37500,
        retail_price_fen=45000,
        is_scarce=True,
    )
    second = allocation_plan_create(
        actor=supervisor_a,
        product_id=zh.pk,
        org_unit_id=draft.org_unit_id,
        cycle_start=MONDAY,
        supply_cartons=100,
        rules=[{"tier_from": 1, "tier_to": 30, "market_type": "C", "cartons": 1}],
    )
    publish(second, supervisor_a)
    texts = allowance_texts(
        retailer_ids=[county["town24"].pk, county["rural24"].pk, county["town5"].pk], day=WED
    )
    assert texts == {
        county["town24"].pk: "黄鹤楼（软蓝） 2条、中华（硬） 1条",
        county["rural24"].pk: "黄鹤楼（软蓝） 1条",
        county["town5"].pk: "中华（硬） 1条",
    }
    assert set(retailers_with_allowance(day=WED).values_list("pk", flat=True)) == {
        county["town24"].pk,
        county["rural24"].pk,
        county["town10"].pk,
        county["town5"].pk,
    }


def test_the_coming_cycle_is_next_monday_or_today_on_a_monday():
    assert coming_cycle_day(datetime.date(2025, 5, 2)) == datetime.date(2025, 5, 5)
    assert coming_cycle_day(MONDAY) == MONDAY
    assert coming_cycle_day(datetime.date(2025, 5, 4)) == datetime.date(2025, 5, 5)


def test_a_published_plan_cannot_be_published_again(draft, supervisor_a, api_client_for):
    publish(draft, supervisor_a)
    with pytest.raises(ConflictError):
        publish(draft, supervisor_a)
    response = api_client_for(supervisor_a).post(
        f"/api/v1/allocation/plans/{draft.pk}/publish/", {}, format="json"
    )
    assert response.status_code == 409
    assert AllocationPlan.objects.get(pk=draft.pk).published_by == supervisor_a


@pytest.mark.django_db(transaction=True)
def test_two_planners_creating_the_same_draft_at_once_get_one_draft(
    supervisor_a, company_admin, county_a, county
):
    import threading

    from django.db import connection

    scarce = ProductFactory(
        code="6901028999009",
        brand="黄鹤楼",
        name="黄鹤楼（1916）",
        wholesale_price_fen=90000,
        retail_price_fen=100000,
        is_scarce=True,
    )
    barrier = threading.Barrier(2)
    outcomes = []

    def create(actor):
        try:
            barrier.wait()
            allocation_plan_create(
                actor=actor,
                product_id=scarce.pk,
                org_unit_id=county_a.pk,
                cycle_start=MONDAY,
                supply_cartons=3,
                rules=RULES,
            )
            outcomes.append("created")
        except (ValidationError, ConflictError) as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(a,)) for a in (supervisor_a, company_admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("created") == 1
    assert AllocationPlan.objects.filter(state="draft").count() == 1
