"""Churn risk: features known at a cut-off, the time-based split, the recorded AUCs and the explicit "too little
history" path.

The history (small horizon and lookback so that a few weeks make it): as of 2025-06-04, horizon 4 weeks,
lookback 8, training cut-offs 8 and 10 weeks back, holdout 4 weeks back. Eight regular shops order every Monday
from week 20 to this week; six lapsing shops order weekly from week 20 and stop after week L (L = 4, 5, 8, 9, 11,
12 weeks ago).
"""

import datetime
import math

import numpy as np
import pytest
from django.urls import reverse

from segmentation.ml.churn import FEATURES, churn_features, churn_model, churn_reasons
from segmentation.ml.selectors import ChurnRisk, churn_risk
from segmentation.scoring.models import RetailerScore, ScoringRun
from segmentation.scoring.services import scoring_run_execute, scoring_run_start
from tests.accounts.factories import RetailerFactory
from tests.segmentation.conftest import AS_OF, weeks_ago

SMALL = {
    "churn_horizon_weeks": 4,
    "churn_lookback_weeks": 8,
    "churn_train_cutoffs": 2,
    "churn_cutoff_step_weeks": 2,
}
LAPSES = (4, 5, 8, 9, 11, 12)


def run_with(ml: dict, as_of=AS_OF) -> ScoringRun:
    run = scoring_run_start(as_of=as_of)
    run.parameters["ml"].update(ml)
    ScoringRun.objects.filter(pk=run.pk).update(parameters=run.parameters)
    return scoring_run_execute(run_id=run.pk)


@pytest.fixture
def lapsing_history(route_a, place_orders):
    regulars = [RetailerFactory(route=route_a) for _ in range(8)]
    for shop in regulars:
        place_orders(shop, [(weeks_ago(n), 5) for n in range(0, 21)])
    lapsers = {}
    for last in LAPSES:
        lapsers[last] = RetailerFactory(route=route_a)
        place_orders(lapsers[last], [(weeks_ago(n), 5) for n in range(last, 21)])
    return regulars, lapsers


def feature(row, name: str) -> float:
    return float(row[[n for n, _reason in FEATURES].index(name)])


def test_features_describe_the_weeks_before_the_cut_off():
    # 26 complete weeks, most recent first: a shop with orders 2, 3, 6 and 20 weeks before the cut-off's week,
    # and a new one whose only order was 2 weeks before
    ordered = np.zeros((2, 26), dtype=bool)
    cartons = np.zeros((2, 26), dtype=np.float32)
    for week, n in ((2, 10), (3, 20), (6, 30), (20, 40)):
        ordered[0, week - 1], cartons[0, week - 1] = True, n
    ordered[1, 1], cartons[1, 1] = True, 8
    shop, new = churn_features(ordered, cartons, cartons * 10000, np.array([10.0, 12.0]))

    assert feature(shop, "recency") == pytest.approx(math.log1p(10))
    assert (feature(shop, "weeks_4"), feature(shop, "weeks_8"), feature(shop, "weeks_13")) == (2, 3, 3)
    assert feature(shop, "tenure") == 20  # its first order week in the window
    assert feature(shop, "regularity") == pytest.approx(4 / 20)
    assert feature(shop, "max_gap") == 13  # weeks 7–19 empty
    assert feature(shop, "weeks_8_vs_usual") == pytest.approx(3 - 0.2 * 8)
    assert feature(shop, "last_vs_usual") == pytest.approx(math.log(11 / 26))  # 10 cartons against 25
    assert feature(shop, "size_8_vs_usual") == pytest.approx(math.log(21 / 26))  # 20 a week lately
    assert feature(shop, "trend") == pytest.approx(math.log(61 / 41))  # 60 in the last 13 weeks, 40 before
    assert feature(shop, "order_size") == pytest.approx(math.log1p(25))
    assert feature(shop, "avg_price") == pytest.approx(math.log1p(10000))
    assert (feature(new, "tenure"), feature(new, "regularity"), feature(new, "max_gap")) == (2, 0.5, 0)
    assert feature(new, "trend") == 0  # nothing before the last 13 weeks: no trend


def test_the_main_reason_is_the_feature_group_that_raises_the_risk_most():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURES))).astype(np.float32)
    y = (x[:, 0] > 1.0).astype(int)  # only recency (column 0) matters
    model = churn_model().fit(x, y)
    risky, safe = np.zeros((1, len(FEATURES)), np.float32), np.zeros((1, len(FEATURES)), np.float32)
    risky[0, 0], safe[0, 0] = 4.0, -2.0
    features = np.vstack([risky, safe])
    probability = model.predict_proba(features)[:, 1]
    assert probability[0] > 0.5 > probability[1]
    assert list(churn_reasons(model, features, probability)) == ["recency", ""]


def test_the_model_trains_on_earlier_cut_offs_and_is_judged_on_a_later_holdout(lapsing_history):
    run = run_with(SMALL)

    assert run.churn_status == ScoringRun.ChurnStatus.TRAINED
    churn = run.stats["churn"]
    assert churn["holdout_cutoff"] == "2025-05-07"  # 4 weeks before as_of: its labels end on as_of
    assert churn["train_cutoffs"] == ["2025-04-09", "2025-03-26"]  # their labels end by the holdout cut-off
    for day in (churn["holdout_cutoff"], *churn["train_cutoffs"]):
        assert datetime.date.fromisoformat(day) + datetime.timedelta(weeks=4) <= AS_OF
    assert (churn["holdout_rows"], churn["holdout_churned"]) == (14, 6)
    # 8 weeks back: L = 8, 9, 11, 12 stop within the next 4 weeks; 10 weeks back: L = 11, 12
    assert (churn["train_rows"], churn["train_churned"]) == (28, 6)
    # recency at the holdout cut-off: regulars 2 days; lapsers 2, 9, 30, 37, 51, 58. The L = 4 shop ties all
    # eight regulars, the five others beat them: (40 + 8 × ½) / 48
    assert run.churn_baseline_auc == pytest.approx(0.9167)
    assert 0 <= run.churn_auc <= 1
    assert churn["scored"] == 11


def test_every_retailer_with_orders_in_the_lookback_gets_a_probability_the_others_say_why_not(
    lapsing_history,
):
    regulars, lapsers = lapsing_history
    run_with(SMALL)

    def score(shop):
        return RetailerScore.objects.select_related("run").get(retailer=shop)

    for last in (9, 11, 12):  # nothing in the 8 complete weeks before as_of's week
        assert score(lapsers[last]).churn_probability is None
        assert churn_risk(score(lapsers[last])).note == "未评估：近 8 周没有订货"
    silent = score(lapsers[4]).churn_probability  # 30 days without an order
    assert silent > max(score(shop).churn_probability for shop in regulars)
    assert silent >= 0.5
    assert score(lapsers[4]).churn_reason != ""
    for shop in regulars:
        s = score(shop)
        assert (s.churn_reason == "") == (s.churn_probability < 0.2)
        assert churn_risk(s).band == ("low" if s.churn_probability < 0.2 else "medium")


def test_too_little_history_skips_the_model_explicitly(route_a, place_orders, manager_a, client_for):
    shop = RetailerFactory(route=route_a)
    place_orders(shop, [(weeks_ago(n), 5) for n in range(1, 11)])

    run = run_with({})  # default: 8-week horizon and 26-week lookback need 42 weeks of history

    assert run.status == ScoringRun.Status.DONE
    assert run.churn_status == ScoringRun.ChurnStatus.TOO_LITTLE_HISTORY
    assert (run.churn_auc, run.churn_baseline_auc) == (None, None)
    churn = run.stats["churn"]
    assert (churn["status"], churn["reason"]) == ("too_little_history", "no_holdout")
    assert (churn["history_weeks"], churn["needed_weeks"], churn["usable_cutoffs"]) == (10, 42, 0)
    assert RetailerScore.objects.get(retailer=shop).churn_probability is None
    html = client_for(manager_a).get(reverse("segmentation:retailer-scores", args=[shop.pk])).content.decode()
    assert "未评估：订货历史不足，本次未训练流失模型（至少需要 42 周订货历史）" in html


def test_a_holdout_without_churners_skips_the_model(route_a, place_orders):
    for _ in range(3):
        place_orders(RetailerFactory(route=route_a), [(weeks_ago(n), 5) for n in range(0, 21)])
    run = run_with(SMALL)
    assert run.churn_status == ScoringRun.ChurnStatus.TOO_LITTLE_HISTORY
    assert run.stats["churn"]["reason"] == "no_holdout"
    assert [c["churned"] for c in run.stats["churn"]["cutoffs"]] == [0, 0, 0]
    assert not RetailerScore.objects.filter(churn_probability__isnull=False).exists()


def test_the_panel_shows_the_churn_percentage_band_and_main_reason(lapsing_history, manager_a, client_for):
    _regulars, lapsers = lapsing_history
    run_with(SMALL)
    score = RetailerScore.objects.select_related("run").get(retailer=lapsers[4])
    risk = churn_risk(score)
    html = (
        client_for(manager_a)
        .get(reverse("segmentation:retailer-scores", args=[lapsers[4].pk]))
        .content.decode()
    )
    assert "流失概率（未来 4 周不订货）" in html
    assert (
        f'<span class="badge text-bg-danger">高</span>\n    <span class="fw-semibold">{risk.percent_text}</span>'
        in html
    )
    assert f"主要原因：{risk.reason}" in html
    assert risk.reason  # e.g. "已 30 天未订货"


def test_percentages_at_the_ends_read_as_under_1_and_over_99():
    assert ChurnRisk(0.004, 8).percent_text == "<1%"
    assert ChurnRisk(0.2049, 8).percent_text == "20%"
    assert ChurnRisk(0.996, 8).percent_text == ">99%"
    assert ChurnRisk(None, 8).percent_text == ""
