"""`manage.py bench field --scale tiny`: the CI smoke run with a few overdue complaints. It checks the shape of the
result, the same-run baselines, the query budget of the daily list and that the repeat sweep did nothing, never
the timings (the figures that matter come from `--scale small` or `province`)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Retailer
from bench.field import benchmark, phone
from bench.runner import SCALES
from feedback.complaints.models import Complaint, ComplaintEscalation
from feedback.complaints.notifications.models import Notification
from sales.allocation.models import AllocationPlan
from visits.models import Visit, VisitPlan

MEASURES = ("daily_list", "allocation_preview", "credit_recompute", "coverage", "escalation", "route_plan")


@pytest.fixture(autouse=True)
def seeded_categories(db):
    """The complaint categories of data migration 0002: a transactional test elsewhere may have flushed them from a
    reused test database (a migrated production database always has them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("feedback.migrations.0002_default_categories").seed(apps, None)


def test_field_bench_smoke(db, tmp_path, monkeypatch):
    monkeypatch.setitem(benchmark.COMPLAINTS, "tiny", 30)
    monkeypatch.setattr(phone, "MANAGERS_SAMPLED", 4)
    path = tmp_path / "field.json"
    call_command("bench", "field", "--scale", "tiny", "--iterations", "8", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert result["name"] == "field"
    assert result["ok"] is True
    assert result["retailers"] == SCALES["tiny"] == Retailer.objects.count()
    assert set(result["ratio"]) == {*MEASURES, "escalation_repeat"}
    for name in MEASURES:
        assert result["ratio"][name] > 0
        assert result["measures"][name]["baseline"]["what"]
    daily = result["measures"]["daily_list"]
    assert daily["managers"] == 4
    assert daily["measured"]["n"] == daily["baseline"]["n"] == 8  # 2 rounds of 4 managers
    assert daily["ratio"]["p95"] == pytest.approx(daily["measured"]["p95"] / daily["baseline"]["p95"])
    assert daily["queries_per_list"]["constant"] is True
    assert daily["queries_per_list"]["max"] <= 4
    escalation = result["measures"]["escalation"]
    assert escalation["complaints"] == escalation["baseline"]["rows"] == 30
    assert escalation["measured"]["first_sweep"]["escalated"] == 60  # a response and a resolution breach each
    assert escalation["measured"]["repeat_sweep"]["escalated"] == 0
    # the same rows written again by plain SQL: 60 claims, 60 events, at least one notification per breach
    assert escalation["same_rows_raw"]["rows"] >= 3 * 60
    assert result["measures"]["coverage"]["plans"] > 0
    assert result["measures"]["allocation_preview"]["measured"]["retailers"] > 0
    assert result["peak_rss_mb"] > 0
    route = result["measures"]["route_plan"]
    assert route["stops"] == 40
    assert route["measured"]["n"] == route["baseline"]["n"] == phone.ROUTE_LAYOUTS
    assert route["measured"]["p95"] <= phone.ROUTE_TARGET_SECONDS
    assert route["shorter_than_greedy_pct"] > 0
    sync = result["measures"]["offline_sync"]
    assert (sync["visits"], sync["created"]) == (50, 50)
    assert sync["first_round"]["seconds"] > 0
    assert not Visit.objects.filter(notes="bench-field").exists()  # the run's visits are gone

    # the run's complaints are gone with what hangs off them; the plan and the visit plans stay for the next run
    assert not Complaint.objects.exists()
    assert not ComplaintEscalation.objects.exists()
    assert not Notification.objects.exists()
    assert AllocationPlan.objects.filter(notes=benchmark.PLAN_NOTES, state="published").count() == 1
    plans = VisitPlan.objects.count()
    call_command("bench", "field", "--scale", "tiny", "--iterations", "4", "--json", str(path))
    assert VisitPlan.objects.count() == plans  # idempotent setup: nothing made twice
    assert AllocationPlan.objects.filter(notes=benchmark.PLAN_NOTES).count() == 1


def test_field_bench_fails_when_the_repeat_sweep_escalates_again(db, tmp_path, monkeypatch):
    monkeypatch.setitem(benchmark.COMPLAINTS, "tiny", 5)
    monkeypatch.setattr(phone, "MANAGERS_SAMPLED", 2)
    sweep = iter([10, 3])
    monkeypatch.setattr("feedback.complaints.services.escalation.complaints_escalate", lambda: next(sweep))
    path = tmp_path / "field.json"
    with pytest.raises(CommandError, match="repeat sweep escalated 3 breaches again"):
        call_command("bench", "field", "--scale", "tiny", "--iterations", "2", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))
    assert result["ok"] is False
    assert not Complaint.objects.exists()  # cleaned up on failure too
