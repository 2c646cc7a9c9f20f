"""`manage.py bench dispatch --scale tiny`: the CI smoke run with two real worker processes and the fake
gateway. It checks the shape of the result and the exactly-once count, never the timings (the figures that
matter come from `--scale province`)."""

import json

import pytest
from django.core.management import call_command

from accounts.models import Retailer
from bench.runner import SCALES
from campaigns.models import Campaign, Delivery


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_dispatch_bench_smoke(tmp_path, settings, monkeypatch):
    from crm.celery_app import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)  # real workers, whatever an earlier test left
    settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND = 3000
    path = tmp_path / "dispatch.json"

    call_command("bench", "dispatch", "--scale", "tiny", "--json", str(path))
    result = json.loads(path.read_text(encoding="utf-8"))

    assert (result["name"], result["scale"], result["ok"]) == ("dispatch", "tiny", True)
    assert result["recipients"] == SCALES["tiny"] == Retailer.objects.count()
    assert result["workers"]["processes"] == 2
    assert result["baseline"]["what"].startswith("no-op Celery tasks")
    assert result["baseline"]["tasks"] == 300
    assert result["baseline"]["per_second"] > 0
    measured = result["measured"]
    assert measured["messages"] == SCALES["tiny"]
    assert measured["per_second"] > 0
    # exactly once, as the gateway counts it
    assert measured["gateway"]["unique_keys"] == measured["gateway"]["numbers"] == SCALES["tiny"]
    assert measured["gateway"]["max_per_number"] == 1
    assert measured["states"] == {"sent": SCALES["tiny"]}
    assert sum(measured["per_second_histogram"]) == measured["gateway"]["raw_messages"]
    assert measured["sample_text"].startswith(settings.CAMPAIGNS_SMS_SIGNATURE)
    assert result["ratio"] == pytest.approx(
        measured["per_second"] / result["baseline"]["per_second"], rel=0.01
    )
    assert result["peak_second"]["limit"] == 3000
    assert result["peak_second"]["messages"] == max(measured["per_second_histogram"])
    assert isinstance(result["target"]["ratio_met"], bool)
    assert isinstance(result["target"]["peak_met"], bool)
    # the run cleans up after itself; the synthetic recipients stay for the next run
    assert not Campaign.objects.exists()
    assert not Delivery.objects.exists()
