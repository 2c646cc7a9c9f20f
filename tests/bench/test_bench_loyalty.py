"""`manage.py bench loyalty --scale tiny`: the CI smoke run. It checks the shape of the result and that every
order of the week was awarded, never the timings (the figures that matter come from `--scale province`)."""

import json

from django.core.management import call_command

from accounts.models import Retailer
from bench.runner import SCALES
from loyalty.earning.models import EarnRule
from loyalty.ledger.models import PointsEntry
from loyalty.selectors import ledger_discrepancies


def test_loyalty_bench_smoke(db, tmp_path):
    kept = EarnRule.objects.create(
        name="在用规则", basis="carton", points_per_unit=1, valid_from="2000-01-01"
    )
    path = tmp_path / "loyalty.json"
    call_command("bench", "loyalty", "--scale", "tiny", "--iterations", "2", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert result["name"] == "loyalty"
    assert result["ok"] is True
    assert result["retailers"] == SCALES["tiny"] == Retailer.objects.count()
    assert result["orders"] > 0
    assert result["lines"] >= result["orders"]
    assert result["repetitions"] == 2
    assert result["baseline"]["seconds"] > 0
    assert result["baseline"]["bytes"] > 0
    measured = result["measured"]
    assert measured["seconds"] > 0
    assert measured["entries"] == result["orders"]  # every order of the week earned, once per repetition
    assert measured["points"] >= result["cartons"]
    assert PointsEntry.objects.filter(kind="earn").count() == 2 * result["orders"]
    assert result["ratio"] > 0
    assert result["target"]["ratio_max"] == 2.0
    assert result["peak_rss_mb"] > 0
    kept.refresh_from_db()
    assert kept.is_active  # the rules switched off while measuring are back on
    assert ledger_discrepancies() == []
