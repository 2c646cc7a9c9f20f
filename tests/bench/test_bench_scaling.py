"""`manage.py bench scaling`: the CI smoke run on a few hundred retailers. It checks that each page answered and was
measured with its queries, that `--against` compares two runs read by read (and refuses what is not such a run),
and that a page whose p95 grew past the target fails the run with the figures kept — never the timings
themselves (the figures that matter come from a 10k and a province database)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bench import scaling
from bench.runner import SCALES

READS = {"list", "api", "portrait", "daily", "workspace", "cockpit"}


@pytest.fixture
def tiny_demo(db, monkeypatch):
    monkeypatch.setitem(SCALES, "tiny", 300)
    call_command("seed_demo", "--retailers", "300", "--weeks", "2", verbosity=0)
    call_command("visits_seed_demo", verbosity=0)


def test_scaling_bench_measures_every_page_and_compares_two_runs(tiny_demo, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    call_command("bench", "scaling", "--scale", "tiny", "--iterations", "3", "--json", str(first))
    result = json.loads(first.read_text(encoding="utf-8"))
    assert result["ok"] is True
    assert result["retailers"] == 300
    assert set(result["reads"]) == READS
    for name, read in result["reads"].items():
        assert read["page"]["n"] == 3, name
        assert read["queries"] > 0, name
    assert result["baseline"]["n"] == 3

    # the same database against itself: every read compared; the verdict is the target's, whatever the figures
    error = ""
    try:
        call_command(
            "bench", "scaling", "--scale", "tiny", "--iterations", "3", "--json", str(second),
            "--against", str(first),
        )  # fmt: skip
    except CommandError as exc:
        error = str(exc)
    compared = json.loads(second.read_text(encoding="utf-8"))["compare"]
    assert set(compared["reads"]) == READS
    for name, row in compared["reads"].items():
        assert row["met"] is (row["ratio"] <= scaling.TARGET_RATIO), name
    missed = [name for name, row in compared["reads"].items() if not row["met"]]
    assert bool(error) == bool(missed)  # the run fails exactly when a page missed, naming each
    assert all(name in error for name in missed)


def test_a_page_that_grew_past_the_target_fails_the_run():
    def run(retailers, p95):
        return {
            "name": "scaling",
            "retailers": retailers,
            "baseline": {"p95": 0.001},
            "reads": {"daily": {"page": {"p95": p95}}, "list": {"page": {"p95": 0.010}}},
        }

    compared = scaling.compare(run(100_000, 0.030), run(10_000, 0.010))
    assert compared["large"] == 100_000
    assert compared["reads"]["daily"] == {
        "small_p95": 0.010,
        "large_p95": 0.030,
        "ratio": 3.0,
        "normalised_ratio": 3.0,
        "met": False,
    }
    assert compared["reads"]["list"]["met"] is True
    # the order the two runs are given in does not matter
    assert scaling.compare(run(10_000, 0.010), run(100_000, 0.030)) == compared


def test_against_refuses_a_file_of_another_benchmark(tiny_demo, tmp_path):
    other = tmp_path / "cockpit.json"
    other.write_text(json.dumps({"name": "cockpit"}), encoding="utf-8")
    with pytest.raises(CommandError, match="not the JSON of a `bench scaling` run"):
        call_command("bench", "scaling", "--scale", "tiny", "--iterations", "1", "--against", str(other))
    with pytest.raises(CommandError, match="--against compares two runs of `bench scaling` only"):
        call_command("bench", "cockpit", "--scale", "tiny", "--iterations", "1", "--against", str(other))


def test_a_database_of_another_size_is_refused(tiny_demo):
    with pytest.raises(CommandError, match="not about 10,000"):
        call_command("bench", "scaling", "--scale", "small", "--iterations", "1")
