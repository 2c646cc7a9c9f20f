"""`manage.py bench cockpit --scale tiny`: the CI smoke run (on a few hundred retailers). It checks the shape of the
result, that each home answered and was measured against its same-run raw aggregate, and the workspace's query
budget — never the timings (the figures that matter come from `--scale province`)."""

import json

from django.core.management import call_command

from bench import cockpit
from bench.runner import SCALES


def test_cockpit_bench_smoke(db, tmp_path, monkeypatch):
    monkeypatch.setitem(SCALES, "tiny", 300)
    path = tmp_path / "cockpit.json"
    call_command("bench", "cockpit", "--scale", "tiny", "--iterations", "3", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert result["name"] == "cockpit"
    assert result["ok"] is True
    assert result["retailers"] == 300
    assert result["refresh"]["rows"] > 0  # the KPI snapshots the pages read were written
    assert set(result["measures"]) == {"supervisor", "admin", "manager"}
    for name, measure in result["measures"].items():
        assert measure["page"]["n"] == measure["baseline"]["n"] == 3, name
        assert measure["retailers_in_unit"] > 0, name
        assert measure["ratio"] > 0, name
        assert measure["selector_ratio"] > 0, name
    assert result["measures"]["admin"]["retailers_in_unit"] == 300  # the company sees every shop
    assert result["measures"]["manager"]["queries_per_selector"] <= cockpit.WORKSPACE_QUERIES_MAX
    lines = cockpit.summary_lines(result)
    assert len(lines) == 4
    assert "manager" in lines[3]
