"""`manage.py rules_check`: every stored derived value follows its rule — right after seed_demo and after an import
that carries credit grades — and a row that disagrees is found and named."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from accounts.models import Retailer
from crm.rules_check import rules_check_run
from tests.imports.helpers import csv_bytes, retailer_row, run_import

TODAY = datetime.date(2026, 11, 23)


def counts(today=None) -> dict[str, int]:
    return {check.name: check.count for check in rules_check_run(today=today)}


def test_after_seed_demo_no_row_disagrees_with_its_rule(db):
    call_command(
        "seed_demo",
        "--retailers",
        "400",
        "--weeks",
        "30",
        "--today",
        TODAY.isoformat(),
        stdout=open("/dev/null", "w"),  # noqa: SIM115
    )
    # the generated grades were a mix of A, AA and AAA: the rule moved them
    assert Retailer.objects.filter(credit_grade="AA").exists()
    assert counts(TODAY) == {"credit_grade": 0, "class_code": 0, "scores": 0, "membership_level": 0}
    call_command("rules_check", "--today", TODAY.isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115

    # a grade set by hand is found, named and fails the command
    shop = Retailer.objects.filter(credit_grade="AA").order_by("id").first()
    Retailer.objects.filter(pk=shop.pk).update(credit_grade="A")
    [credit] = [c for c in rules_check_run(today=TODAY) if c.name == "credit_grade"]
    assert (credit.count, credit.sample) == (1, [(shop.pk, "A", "AA")])
    with pytest.raises(CommandError, match="1 rows disagree"):
        call_command("rules_check", "--today", TODAY.isoformat(), stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_after_an_import_that_carries_credit_grades_no_grade_disagrees(route_a, supervisor_a):
    # a new shop registered today with no violation starts at the rule's grade, A; a file may carry it
    rows = [{**retailer_row(1), "信用等级": "A"}, {**retailer_row(2), "信用等级": "A"}]
    job = run_import(user=supervisor_a, content=csv_bytes(rows))
    assert job.created_count == 2
    assert set(Retailer.objects.values_list("credit_grade", flat=True)) == {"A"}
    assert counts()["credit_grade"] == 0
    # any other grade for a new shop is refused rather than stored against the rule
    with pytest.raises(ValidationError):
        run_import(user=supervisor_a, content=csv_bytes([{**retailer_row(3), "信用等级": "AAA"}]))
    assert counts()["credit_grade"] == 0
    # a different grade over an existing record is refused (the grade follows the credit rule only): the row is
    # an error, nothing is written, and no grade disagrees
    with pytest.raises(ValidationError):
        run_import(user=supervisor_a, content=csv_bytes([{**retailer_row(1), "信用等级": "AA"}]))
    assert set(Retailer.objects.values_list("credit_grade", flat=True)) == {"A"}
    assert counts()["credit_grade"] == 0
