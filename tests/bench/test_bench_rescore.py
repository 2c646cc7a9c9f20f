"""`manage.py bench rescore --scale tiny`: the CI smoke run. It checks the shape of the result and that the
figures are positive, never the timings (those depend on the machine; the figures that matter come from
`--scale province`)."""

import json

from django.core.management import call_command

from accounts.models import Retailer
from bench.runner import SCALES
from sales.models import Order, OrderLine


def test_rescore_bench_smoke(db, tmp_path):
    path = tmp_path / "rescore.json"
    call_command("bench", "rescore", "--scale", "tiny", "--iterations", "2", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    for key in ("name", "scale", "baseline", "measured", "ratio", "target", "peak_rss_mb", "seed_seconds"):
        assert key in result
    assert result["name"] == "rescore"
    assert result["scale"] == "tiny"
    assert result["ok"] is True
    assert result["settings"]["debug_while_measuring"] is False
    assert result["retailers"] == SCALES["tiny"] == Retailer.objects.count()
    assert result["orders"] == Order.objects.count() > 0
    assert result["lines"] == OrderLine.objects.count() > 0
    assert result["week_summary_rows"] > 0
    assert result["seed_seconds"] > 0  # the test database starts empty, so the run seeded it

    assert result["baseline"]["what"].startswith("raw GROUP BY retailer")
    assert result["baseline"]["seconds"] > 0
    assert result["baseline"]["rows"] == result["retailers_with_orders"] > 0
    assert result["second_baseline"]["seconds"] > 0
    assert result["second_baseline"]["rows"] == result["retailers_with_orders"]
    assert result["second_baseline"]["scoring_ratio"] > 0
    measured = result["measured"]
    assert measured["seconds"] > 0
    assert measured["n"] == result["repetitions"] == 2
    assert len(measured["samples"]) == 2
    assert 0 < measured["scored"] <= result["retailers"]
    assert set(measured["stage_seconds"]) == {
        "measures",
        "changes",
        "events",
        "write",
        "stats",
        "clusters",
        "churn",
        "scores_update",
        "recommendations",
    }
    assert result["ratio"] > 0
    assert result["target"]["ratio_max"] == 1.5
    assert result["target"]["ratio_max_with_summaries"] == 0.3
    assert isinstance(result["target"]["met"], bool)
    assert result["peak_rss_mb"] > 0
