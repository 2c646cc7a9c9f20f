"""Violations (专卖违规) and the credit grade: the rule on hand-built histories (window expiry, voiding, clean
months), the set-based recompute, the audit trail, and who may record what."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.compliance.models import CreditRule, Violation
from accounts.compliance.selectors import (
    _months_before,
    retailer_credit_history,
    violation_list,
    violation_reminder_texts,
)
from accounts.compliance.services import (
    credit_grades_recompute,
    violation_record,
    violation_void,
)
from accounts.models import Retailer
from core.errors import ConflictError
from tests.accounts.factories import RetailerFactory

TODAY = timezone.localdate()


def ago(months=0, days=0):
    return _months_before(TODAY, months) - datetime.timedelta(days=days)


def record(actor, retailer, type_, on, penalty="warning", source="inspection", **extra):
    return violation_record(
        actor=actor,
        retailer=retailer,
        data={"occurred_on": on, "type": type_, "penalty": penalty, "source": source, **extra},
    )


def grade(retailer):
    retailer.refresh_from_db(fields=["credit_grade"])
    return retailer.credit_grade


def registered(retailer, months):
    Retailer.objects.filter(pk=retailer.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=31 * months)
    )


@pytest.fixture
def shop(route_a):
    return RetailerFactory(route=route_a)


def test_the_default_rule_is_active_and_documented(db):
    rule = CreditRule.objects.get(is_active=True)
    assert (
        rule.window_months,
        rule.points_minors,
        rule.a_max_points,
        rule.b_max_points,
        rule.c_max_points,
    ) == (
        24,
        4,
        2,
        5,
        9,
    )


def test_grades_from_points_in_the_window(supervisor_a, route_a):
    two_small, minors, fake, fake_plus, worst = (RetailerFactory(route=route_a) for _ in range(5))
    record(supervisor_a, two_small, "licence_hidden", ago(1))
    record(supervisor_a, two_small, "no_price_tags", ago(1))  # 1 + 1 = 2 -> A
    record(supervisor_a, minors, "minors", ago(3), penalty="fine", fine_fen=50000)  # 4 -> B
    record(supervisor_a, fake, "fake_goods", ago(2), penalty="suspension", suspension_days=7)  # 8 -> C
    record(supervisor_a, fake_plus, "fake_goods", ago(2))
    record(supervisor_a, fake_plus, "other", ago(2))  # 9 -> C
    record(supervisor_a, worst, "fake_goods", ago(2))
    record(supervisor_a, worst, "supplying", ago(5), penalty="revocation")  # 14 -> D
    assert [grade(r) for r in (two_small, minors, fake, fake_plus, worst)] == ["A", "B", "C", "C", "D"]


def test_a_violation_leaves_the_window_after_window_months(supervisor_a, route_a):
    inside, edge = RetailerFactory(route=route_a), RetailerFactory(route=route_a)
    record(supervisor_a, inside, "fake_goods", ago(24) + datetime.timedelta(days=1))
    record(supervisor_a, edge, "fake_goods", ago(24))
    assert (grade(inside), grade(edge)) == ("C", "A")  # 24 clean months: not yet AA (36)
    # a month later the first one has dropped out too
    credit_grades_recompute(today=_months_before(TODAY, -1) + datetime.timedelta(days=1))
    assert grade(inside) == "A"


def test_clean_months_lift_a_zero_point_retailer_to_aa_and_aaa(route_a):
    new, four_years, six_years = (RetailerFactory(route=route_a) for _ in range(3))
    registered(four_years, 48)
    registered(six_years, 72)
    changed = credit_grades_recompute()
    assert {(rid, old, new_) for rid, old, new_ in changed} == {
        (four_years.pk, "A", "AA"),
        (six_years.pk, "A", "AAA"),
    }
    assert grade(new) == "A"


def test_an_old_violation_still_resets_the_clean_months(supervisor_a, route_a):
    shop = RetailerFactory(route=route_a)
    registered(shop, 72)
    record(supervisor_a, shop, "other", ago(30))  # out of the window (0 points) but only 30 months clean
    assert grade(shop) == "A"


def test_voiding_restores_the_grade_and_keeps_the_record(supervisor_a, shop):
    violation = record(supervisor_a, shop, "minors", ago(1))
    assert grade(shop) == "B"
    violation_void(actor=supervisor_a, violation=violation, reason="误登记：非本店")
    assert grade(shop) == "A"
    violation.refresh_from_db()
    assert (violation.voided_by, violation.void_reason) == (supervisor_a, "误登记：非本店")
    assert violation.events.values_list("pgh_label", flat=True).order_by("pgh_id")[::1] == [
        "recorded",
        "updated",
    ]
    with pytest.raises(ConflictError):
        violation_void(actor=supervisor_a, violation=violation, reason="再次")
    with pytest.raises(ValidationError):
        violation_void(actor=supervisor_a, violation=record(supervisor_a, shop, "other", ago(1)), reason=" ")


def test_credit_grade_history_lists_each_change(supervisor_a, shop):
    violation = record(supervisor_a, shop, "minors", ago(1))
    violation_void(actor=supervisor_a, violation=violation, reason="撤销")
    assert [(c["old"], c["new"]) for c in retailer_credit_history(retailer=shop)] == [("B", "A"), ("A", "B")]


def test_recompute_for_everyone_is_one_statement(supervisor_a, route_a, django_assert_max_num_queries):
    shops = [RetailerFactory(route=route_a) for _ in range(12)]
    for shop in shops[:6]:
        Violation.objects.create(
            retailer=shop,
            occurred_on=ago(1),
            type="minors",
            penalty="warning",
            source="inspection",
            recorded_by=supervisor_a,
        )
    # the rule, then one UPDATE … FROM (grades of every retailer); savepoints aside
    with django_assert_max_num_queries(4) as captured:
        changed = credit_grades_recompute()
    assert len(changed) == 6
    assert sum("UPDATE" in q["sql"] for q in captured.captured_queries) == 1
    assert Retailer.objects.filter(credit_grade="B").count() == 6


def test_rule_edits_change_the_grades(supervisor_a, shop):
    record(supervisor_a, shop, "no_price_tags", ago(1))
    assert grade(shop) == "A"
    CreditRule.objects.filter(is_active=True).update(points_no_price_tags=3)
    credit_grades_recompute()
    assert grade(shop) == "B"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"penalty": "fine"}, "fine_fen"),
        ({"penalty": "warning", "fine_fen": 100}, "fine_fen"),
        ({"penalty": "suspension"}, "suspension_days"),
        ({"type": "jaywalking"}, "type"),
        ({"occurred_on": TODAY + datetime.timedelta(days=1)}, "occurred_on"),
    ],
)
def test_bad_violations_are_refused(supervisor_a, shop, extra, field):
    data = {"occurred_on": ago(1), "type": "minors", "penalty": "warning", "source": "inspection", **extra}
    with pytest.raises(ValidationError) as error:
        violation_record(actor=supervisor_a, retailer=shop, data=data)
    assert field in error.value.message_dict
    assert not Violation.objects.exists()
    assert grade(shop) == "A"


def test_a_manager_records_only_what_a_visit_found(manager_a, retailer_a):
    with pytest.raises(ValidationError):
        record(manager_a, retailer_a, "licence_hidden", ago(0), source="inspection")
    violation = record(manager_a, retailer_a, "licence_hidden", ago(0), source="visit")
    assert violation.recorded_by == manager_a


def test_integration_logins_may_not_record(integration_user, retailer_a):
    with pytest.raises(PermissionDenied):
        record(integration_user, retailer_a, "other", ago(0))


def test_list_is_scoped_and_filtered(supervisor_a, manager_b, retailer_a, retailer_b, company_admin):
    mine = record(supervisor_a, retailer_a, "minors", ago(1))
    theirs = record(company_admin, retailer_b, "other", ago(2))
    assert list(violation_list(user=supervisor_a)) == [mine]
    assert list(violation_list(user=manager_b)) == [theirs]
    assert list(violation_list(user=company_admin, filters={"type": "minors"})) == [mine]
    assert list(violation_list(user=company_admin, filters={"q": retailer_b.shop_name})) == [theirs]
    violation_void(actor=company_admin, violation=theirs, reason="错")
    assert list(violation_list(user=company_admin, filters={"status": "void"})) == [theirs]


def test_reminder_text_names_the_latest_violation_and_the_fix(supervisor_a, shop, retailer_a):
    record(supervisor_a, shop, "licence_hidden", datetime.date(2025, 3, 1))
    record(supervisor_a, shop, "no_price_tags", datetime.date(2025, 3, 9))
    assert violation_reminder_texts(retailer_ids=[shop.pk, retailer_a.pk]) == {
        shop.pk: "03月09日未明码标价，请为在售卷烟逐一明码标价",
        retailer_a.pk: "",
    }


def test_the_rule_in_force_comes_back_if_lost_but_switched_off_rules_are_refused(db):
    from accounts.compliance.models import CreditRule
    from accounts.compliance.services import credit_rule_active
    from core.errors import ConflictError

    CreditRule.objects.all().delete()  # e.g. a flushed database
    assert credit_rule_active().name == "默认信用规则"
    assert CreditRule.objects.count() == 1
    CreditRule.objects.update(is_active=False)  # an administrator switched it off
    with pytest.raises(ConflictError):
        credit_rule_active()
    assert CreditRule.objects.count() == 1
