"""`manage.py bench api --scale tiny`: the CI smoke run. It checks the shape of the result, never the timings
(those depend on the machine; the figures that matter come from `--scale province`)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Retailer
from bench.runner import SCALES, percentile, summarize


def test_api_bench_smoke(db, tmp_path):
    path = tmp_path / "x.json"
    call_command("bench", "api", "--scale", "tiny", "--iterations", "40", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert result["name"] == "api"
    assert result["scale"] == "tiny"
    assert result["ok"] is True
    assert result["retailers"] == SCALES["tiny"] == Retailer.objects.count()
    assert result["baseline"]["what"].startswith("raw keyset SQL page")
    assert result["baseline"]["seconds"] == result["baseline"]["p95"] > 0
    assert result["baseline"]["p50"] > 0
    for target in ("api", "page"):
        figures = result["measured"][target]
        assert figures["p50"] > 0
        assert figures["p95"] >= figures["p50"]
        assert figures["n"] >= 40
        assert result["ratio"][target] > 0
        assert result["ratio"][target] == pytest.approx(figures["p95"] / result["baseline"]["p95"])
    assert result["target"]["ratio_max"] == 3.0
    assert result["peak_rss_mb"] > 0
    assert result["seed_seconds"] > 0  # the test database starts empty, so the run seeded it
    assert result["settings"]["debug_while_measuring"] is False

    queries = result["queries_per_request"]
    assert queries["count_star"] == 0
    for target in ("api", "page"):
        assert queries[target]["min"] > 0
        assert queries[target]["constant_per_filter"] is True
        # a handful of queries whatever the page holds: session, user, the page, permissions…
        assert queries[target]["max"] < 20


def test_unknown_benchmark_names_the_known_ones(db):
    # every benchmark DESIGN.md names is written: none is left "planned" (bench memory was the last)
    with pytest.raises(
        CommandError, match=r"Unknown benchmark 'nope'\. Known: api, .*, memory, rescore, scaling\.$"
    ):
        call_command("bench", "nope")


def test_percentile_interpolates_like_numpy():
    assert percentile([1.0], 95) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert summarize([2.0, 1.0])["max"] == 2.0
