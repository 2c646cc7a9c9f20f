"""`manage.py bench memory --scale tiny`, on fewer retailers and weeks than tiny so CI stays quick: three real child
processes (the baseline, a scoring run, a retailer import) on the test database, whose rows must be committed for
them to see (hence a transactional test). One run, with the target lowered below any process's size so that it
also shows the failure: the figures are written with ok=false and the command exits non-zero. It checks the shape,
that each child did its work here and that no peak is below the baseline — never the figures themselves (a run on
the real target: `manage.py bench memory --scale tiny`)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.imports.models import ImportJob
from accounts.models import Retailer
from bench import memory
from bench.imports.files import BENCH_PREFIX
from segmentation.scoring.models import ScoringRun

RETAILERS = 150


@pytest.mark.django_db(transaction=True)
def test_memory_bench_smoke(tmp_path, monkeypatch):
    monkeypatch.setitem(memory.SIZES, "tiny", RETAILERS)
    monkeypatch.setattr(memory, "WEEKS", 4)
    monkeypatch.setattr(memory, "PEAK_MB_MAX", 1)
    path = tmp_path / "memory.json"
    with pytest.raises(CommandError, match=r"rescore peaked at .* and import peaked at .* MB: over the 1 MB"):
        call_command("bench", "memory", "--scale", "tiny", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert (result["name"], result["scale"], result["ok"]) == ("memory", "tiny", False)
    assert "rescore peaked at" in result["error"]
    assert result["retailers"] == RETAILERS == Retailer.objects.count()
    assert result["seed_seconds"] > 0  # the test database starts empty, so the run seeded it
    assert result["method"] == "VmHWM"
    baseline = result["baseline"]["peak_mb"]
    assert baseline > 1
    assert set(result["measured"]) == {"rescore", "import"}
    for name, figures in result["measured"].items():
        assert figures["baseline_mb"] == baseline
        assert figures["peak_mb"] >= baseline, name
        assert figures["work_mb"] == pytest.approx(figures["peak_mb"] - baseline, abs=0.11)
        assert figures["wall_seconds"] > figures["seconds"] > 0
        assert figures["over_target"] is True
        assert result["ratio"][name] == pytest.approx(figures["peak_mb"] / baseline, abs=0.01)
    assert result["target"]["met"] is False
    assert any("NOT met" in line for line in memory.summary_lines(result))

    # each child did its work on this database (the seed scored once before)
    scoring = ScoringRun.objects.latest("pk")
    assert scoring.status == ScoringRun.Status.DONE
    assert result["measured"]["rescore"]["rows"] == scoring.scored_count > 0
    job = ImportJob.objects.get()
    assert result["measured"]["import"]["rows"] == job.created_count == RETAILERS
    assert not Retailer.objects.filter(customer_code__startswith=BENCH_PREFIX).exists()  # cleaned up after
