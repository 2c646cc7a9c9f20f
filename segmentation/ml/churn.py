"""Churn risk: each retailer's probability of placing no order in the `horizon` weeks (8) after the run's as_of,
from a logistic regression trained on the retailers' own history with a time-based split.

Cut-offs are days `k` whole weeks before as_of (so they fall on as_of's weekday): k = 0 is the day scored;
k = horizon (8) is the holdout; k = 2·horizon, +4, +8, +12 (16, 20, 24, 28) are the training cut-offs, whose
labels all end by the holdout cut-off, so nothing the holdout is judged on was seen in training. A cut-off is
usable only when the order history reaches its full lookback (26 complete weeks before it), so early cut-offs do
not mistake the start of the data for new retailers.

At a cut-off C, the population is every retailer (not merged; for C = as_of also not closed) with an order in
the lookback; its label is 1 when it has no order in (C, C + horizon]. Features use only what was known at C:
- recency: days from the last order on or before C to C (the week of C counts too), and the label, from the
  first and last order day kept on each weekly summary row: C's week decides by its days, or else the latest
  order week before it; only when C's week holds three or more orders on both sides of C does the order index
  say (a week of two such orders has its first day as the answer);
- the 26 complete weeks before C's week (weekly summaries): order weeks in the last 4, 8 and 13 weeks and
  the last 8 against the retailer's usual rate; regularity (order weeks ÷ weeks since its first order week in the
  lookback) and the longest gap between two order weeks; that tenure itself; the cartons trend (last 13 weeks
  against the 13 before), the last order week and the last 8 weeks' cartons per order week against the usual;
  cartons per order week and price per carton.

Evaluation: the model fitted on the training cut-offs predicts the holdout; the run records its AUC and the AUC of
ranking by recency alone (the baseline). The model that scores as_of is then refitted on every labelled cut-off.
When the holdout or every training cut-off lacks either class (or history), the model is not trained: the run
says why (status "too_little_history" and the cut-offs' counts) and churn_probability stays NULL.

Bands for readers: high from 50%, medium from 20%, low below. Main reason (recorded for medium and high risk
only, where a reader needs one): the feature group that raises this retailer's log-odds most above the average
retailer's (the coefficients times its standardised features, summed per group).
"""

import datetime

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from segmentation.ml.frames import sql_frame
from segmentation.ml.parameters import BAND_MEDIUM
from segmentation.scoring.models import RetailerScore, ScoringRun

R = RetailerScore.ChurnReason
# (feature, the reason it speaks for), in the order of the feature matrix's columns
FEATURES = (
    ("recency", R.RECENCY),
    ("weeks_4", R.FEWER_ORDERS),
    ("weeks_8", R.FEWER_ORDERS),
    ("weeks_13", R.FEWER_ORDERS),
    ("weeks_8_vs_usual", R.FEWER_ORDERS),
    ("regularity", R.IRREGULAR),
    ("max_gap", R.IRREGULAR),
    ("tenure", R.SHORT_HISTORY),
    ("trend", R.SMALLER_ORDERS),
    ("last_vs_usual", R.SMALLER_ORDERS),
    ("size_8_vs_usual", R.SMALLER_ORDERS),
    ("order_size", R.LOW_VALUE),
    ("avg_price", R.LOW_VALUE),
)
REASONS = tuple(dict.fromkeys(reason for _name, reason in FEATURES))
TRAINED, TOO_LITTLE_HISTORY = ScoringRun.ChurnStatus.TRAINED, ScoringRun.ChurnStatus.TOO_LITTLE_HISTORY

HISTORY_START_SQL = """
SELECT min(period_start) FROM sales_retailerperiodsummary WHERE period = 'week' AND order_count > 0
"""

# Every order week any cut-off looks at, as_of's own week (age 0) included: the complete weeks for the features,
# the order days of the weeks around each cut-off for its recency and label. Days are counted from week0.
HISTORY_SQL = """
SELECT s.retailer_id, (%(week0)s::date - s.period_start) / 7 AS age, s.order_count, s.cartons, s.amount_fen,
       s.first_ordered_on - %(week0)s::date AS first_day, s.last_ordered_on - %(week0)s::date AS last_day
FROM sales_retailerperiodsummary s
WHERE s.period = 'week' AND s.order_count > 0
  AND s.period_start <= %(week0)s::date AND s.period_start >= %(week0)s::date - 7 * %(max_age)s
"""
HISTORY_COLUMNS = {
    "retailer_id": "int64",
    "age": "int64",
    "order_count": "int32",
    "cartons": "float32",
    "amount_fen": "float32",
    "first_day": "int32",
    "last_day": "int32",
}

# Who is left out of the populations: merged retailers always, closed ones on the day scored.
LEFT_OUT_SQL = """
SELECT id, merged_into_id IS NOT NULL AS merged FROM accounts_retailer
WHERE merged_into_id IS NOT NULL OR status = 'closed'
"""

# The recency the weekly rows cannot tell: the cut-off's week holds three or more orders, some on each side of it.
RECENCY_PROBE_SQL = """
SELECT p.retailer_id, p.k,
       (%(as_of)s::date - 7 * p.k) - (SELECT max(o.ordered_on) FROM sales_order o
                                      WHERE o.retailer_id = p.retailer_id
                                        AND o.ordered_on <= %(as_of)s::date - 7 * p.k) AS recency_days
FROM unnest(%(ids)s::bigint[], %(probe_ks)s::int[]) AS p (retailer_id, k)
"""
PROBE_COLUMNS = {"retailer_id": "int64", "k": "int64", "recency_days": "float64", "churned": "float64"}


class WeeklyHistory:
    """Order weeks, cartons, amounts and order days of every retailer with history, as dense (retailer × age)
    matrices: 100k retailers × 55 weeks is ~80 MB."""

    def __init__(self, rows: pd.DataFrame, max_age: int):
        self.ids = np.unique(rows["retailer_id"].to_numpy())
        index = np.searchsorted(self.ids, rows["retailer_id"].to_numpy())
        age = rows["age"].to_numpy()
        shape = (len(self.ids), max_age + 1)
        self.ordered = np.zeros(shape, dtype=bool)
        self.orders = np.zeros(shape, dtype=np.int32)
        self.cartons = np.zeros(shape, dtype=np.float32)
        self.amount = np.zeros(shape, dtype=np.float32)
        self.first = np.zeros(shape, dtype=np.int32)
        self.last = np.zeros(shape, dtype=np.int32)
        self.ordered[index, age] = True
        self.orders[index, age] = rows["order_count"].to_numpy()
        self.cartons[index, age] = rows["cartons"].to_numpy()
        self.amount[index, age] = rows["amount_fen"].to_numpy()
        self.first[index, age] = rows["first_day"].to_numpy()
        self.last[index, age] = rows["last_day"].to_numpy()

    def active(self, retailer_ids: np.ndarray, k: int, weeks: int) -> np.ndarray:
        """Which of the retailers have an order week in the `weeks` complete weeks before cut-off k."""
        if not len(self.ids):
            return np.zeros(len(retailer_ids), dtype=bool)
        rows = np.minimum(np.searchsorted(self.ids, retailer_ids), len(self.ids) - 1)
        return (self.ids[rows] == retailer_ids) & self.ordered[rows, k + 1 : k + 1 + weeks].any(axis=1)

    def window(self, retailer_ids: np.ndarray, k: int, weeks: int):
        """(ordered, cartons, amount) of the `weeks` complete weeks before cut-off k, most recent first."""
        rows = np.searchsorted(self.ids, retailer_ids)[:, None]
        cols = k + 1 + np.arange(weeks)[None, :]
        return self.ordered[rows, cols], self.cartons[rows, cols], self.amount[rows, cols]

    def at_cutoff(self, k: int, day: int, horizon: int):
        """(recency_days, churned, unknown) of every retailer at cut-off k, whose day is `day` days after week0
        (it falls in the week of age k). recency_days: days from the last order on or before the day (NaN when
        none in the history); churned: 1.0 when no order in (day, day + 7·horizon], NaN before the horizon is
        observed (k < horizon); unknown: the rows whose recency the weekly rows cannot tell (NaN, probed)."""
        n = len(self.ids)
        rows = np.arange(n)
        has, orders = self.ordered[:, k], self.orders[:, k]
        first, last = self.first[:, k], self.last[:, k]
        # the latest order week before the cut-off's week: its last day
        earlier = self.ordered[:, k + 1 :]
        age = k + 1 + earlier.argmax(axis=1)
        recency = np.where(earlier.any(axis=1), day - self.last[rows, age], np.nan)
        # the cut-off's own week: its last day when on or before the cut-off; when its orders fall on both sides,
        # the first day if there are two of them, else the orders must say
        recency = np.where(has & (last <= day), day - last, recency)
        straddles = has & (first <= day) & (last > day)
        recency = np.where(straddles & (orders == 2), day - first, recency)
        unknown = straddles & (orders > 2)
        recency = np.where(unknown, np.nan, recency)
        if k < horizon:
            return recency, np.full(n, np.nan), unknown
        # an order after the cut-off: later in its week, in the horizon's whole weeks, or early enough in the last
        after = has & (last > day)
        after |= self.ordered[:, k - horizon + 1 : k].any(axis=1)
        after |= self.ordered[:, k - horizon] & (self.first[:, k - horizon] <= day + 7 * horizon)
        return recency, (~after).astype(np.float64), unknown


def cutoff_probes(cursor, history: WeeklyHistory, *, as_of: datetime.date, ks: list[int], horizon: int):
    """Recency and (when observed) the label of every retailer of the history at every cut-off, as the frame
    PROBE_COLUMNS describes, from the weekly rows' order days (the few they cannot tell from the order index).
    Merged retailers are left out, closed ones at k = 0."""
    cursor.execute(LEFT_OUT_SQL)
    left_out = cursor.fetchall()
    merged = np.array([i for i, m in left_out if m], dtype=np.int64)
    closed = np.array([i for i, m in left_out if not m], dtype=np.int64)
    frames, unknown_ids, unknown_ks = [], [], []
    for k in ks:
        recency, churned, unknown = history.at_cutoff(k, as_of.weekday() - 7 * k, horizon)
        keep = ~np.isin(history.ids, merged if k else np.concatenate([merged, closed]))
        frames.append(
            pd.DataFrame(
                {
                    "retailer_id": history.ids[keep],
                    "k": np.full(keep.sum(), k, dtype=np.int64),
                    "recency_days": recency[keep],
                    "churned": churned[keep],
                }
            )
        )
        unknown_ids += history.ids[keep & unknown].tolist()
        unknown_ks += [k] * int((keep & unknown).sum())
    probes = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in PROBE_COLUMNS.items()})
    )
    if unknown_ids:
        cursor.execute(RECENCY_PROBE_SQL, {"as_of": as_of, "ids": unknown_ids, "probe_ks": unknown_ks})
        found = {(r, k): days for r, k, days in cursor.fetchall()}
        missing = probes["recency_days"].isna()
        keys = zip(probes.loc[missing, "retailer_id"], probes.loc[missing, "k"], strict=True)
        probes.loc[missing, "recency_days"] = [found.get((r, k), np.nan) for r, k in keys]
    return probes


def churn_features(ordered: np.ndarray, cartons: np.ndarray, amount: np.ndarray, recency_days: np.ndarray):
    """The feature matrix (float32, columns as FEATURES) of retailers with at least one order week in the
    window; window arrays are (retailers × weeks), most recent week first."""
    weeks = ordered.shape[1]
    position = np.arange(1, weeks + 1, dtype=np.float32)[None, :]
    order_weeks = ordered.sum(axis=1).astype(np.float32)
    weeks_4, weeks_8, weeks_13 = (ordered[:, :n].sum(axis=1).astype(np.float32) for n in (4, 8, 13))
    tenure = np.where(ordered, position, 0).max(axis=1)  # weeks since the first order week in the window
    regularity = order_weeks / tenure
    # longest run of empty weeks between two order weeks
    last_seen = np.maximum.accumulate(np.where(ordered, position, 0), axis=1)
    previous = np.concatenate([np.zeros((len(ordered), 1), dtype=np.float32), last_seen[:, :-1]], axis=1)
    max_gap = np.where(ordered & (previous > 0), position - previous - 1, 0).max(axis=1)
    total_cartons = cartons.sum(axis=1)
    usual_size = total_cartons / order_weeks
    recent = cartons[:, : min(13, weeks)].sum(axis=1)
    earlier = cartons[:, 13:26].sum(axis=1)
    last_cartons = cartons[np.arange(len(cartons)), ordered.argmax(axis=1)]
    size_8 = cartons[:, :8].sum(axis=1) / np.maximum(weeks_8, 1)
    columns = {
        "recency": np.log1p(recency_days),
        "weeks_4": weeks_4,
        "weeks_8": weeks_8,
        "weeks_13": weeks_13,
        "weeks_8_vs_usual": weeks_8 - regularity * np.minimum(8, tenure),
        "regularity": regularity,
        "max_gap": max_gap,
        "tenure": tenure,
        # undefined without an earlier 13 weeks: 0 rather than a huge rise that would only mean "new"
        "trend": np.where(earlier > 0, np.clip(np.log((recent + 1) / (earlier + 1)), -3, 3), 0),
        "last_vs_usual": np.log((last_cartons + 1) / (usual_size + 1)),
        "size_8_vs_usual": np.where(weeks_8 > 0, np.log((size_8 + 1) / (usual_size + 1)), 0),
        "order_size": np.log1p(usual_size),
        "avg_price": np.log1p(amount.sum(axis=1) / np.maximum(total_cartons, 1)),
    }
    return np.column_stack([columns[name] for name, _reason in FEATURES]).astype(np.float32)


def churn_model():
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=1000, random_state=0))


def churn_reasons(model, features: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """The main reason of each row (a ChurnReason value), "" below medium risk or when no feature group raises
    its risk above the average retailer's."""
    scaler, regression = model.steps[0][1], model.steps[-1][1]
    contributions = scaler.transform(features) * regression.coef_[0]
    groups = np.array([[reason == r for r in REASONS] for _name, reason in FEATURES], dtype=np.float64)
    by_reason = contributions @ groups
    best = by_reason.argmax(axis=1)
    names = np.array([str(r.value) for r in REASONS], dtype=object)
    return np.where((by_reason.max(axis=1) > 0) & (probability >= BAND_MEDIUM), names[best], "")


def churn_compute(*, run: ScoringRun, cursor, parameters: dict) -> tuple[pd.DataFrame, dict]:
    """Train, evaluate and score. Sets run.churn_status / churn_auc / churn_baseline_auc; returns (frame of
    retailer_id, churn_probability, churn_reason for the scored population, stats for run.stats["churn"])."""
    horizon, lookback = parameters["churn_horizon_weeks"], parameters["churn_lookback_weeks"]
    as_of = datetime.date.fromisoformat(run.parameters["as_of"])
    week0 = as_of - datetime.timedelta(days=as_of.weekday())
    train_ks = [
        2 * horizon + i * parameters["churn_cutoff_step_weeks"]
        for i in range(parameters["churn_train_cutoffs"])
    ]
    cursor.execute(HISTORY_START_SQL)
    history_start = cursor.fetchone()[0]
    history_weeks = (week0 - history_start).days // 7 if history_start else 0
    labelled = [k for k in [horizon, *train_ks] if history_weeks >= k + lookback]
    ks = [0, *labelled]
    max_age = max(ks) + lookback
    params = {
        "week0": week0,
        "as_of": as_of,
        "max_age": max_age,
        "ks": ks,
        "horizon": horizon,
        "lookback": lookback,
    }
    history = WeeklyHistory(sql_frame(cursor, HISTORY_SQL, params, HISTORY_COLUMNS), max_age)
    probes = cutoff_probes(cursor, history, as_of=as_of, ks=ks, horizon=horizon)

    def at(k: int):
        rows = probes[probes["k"] == k]
        rows = rows[history.active(rows["retailer_id"].to_numpy(), k, lookback)]
        ids = rows["retailer_id"].to_numpy()
        recency = rows["recency_days"].to_numpy()
        features = churn_features(*history.window(ids, k, lookback), recency)
        return ids, features, rows["churned"].to_numpy(), recency

    def day(k: int) -> str:
        return (as_of - datetime.timedelta(weeks=k)).isoformat()

    sets = {k: at(k) for k in labelled}
    cutoffs = [
        {
            "date": day(k),
            "role": "holdout" if k == horizon else "train",
            "rows": len(sets[k][2]),
            "churned": int(sets[k][2].sum()),
        }
        for k in labelled
    ]
    usable = {k for k in labelled if 0 < sets[k][2].sum() < len(sets[k][2])}
    stats = {
        "model": "LogisticRegression",
        "horizon_weeks": horizon,
        "lookback_weeks": lookback,
        "history_start": history_start.isoformat() if history_start else None,
        "history_weeks": history_weeks,
        "needed_weeks": 2 * horizon + lookback,
        "cutoffs": cutoffs,
        "usable_cutoffs": len(usable),
    }
    train = [k for k in train_ks if k in usable]
    if horizon not in usable or not train:
        run.churn_status, run.churn_auc, run.churn_baseline_auc = TOO_LITTLE_HISTORY, None, None
        reason = "no_holdout" if horizon not in usable else "no_training_cutoff"
        empty = pd.DataFrame(
            {
                "retailer_id": pd.Series(dtype="int64"),
                "churn_probability": pd.Series(dtype="float64"),
                "churn_reason": pd.Series(dtype="object"),
            }
        )
        return empty, {**stats, "status": str(TOO_LITTLE_HISTORY), "reason": reason}

    def stack(ks_: list[int]):
        return np.vstack([sets[k][1] for k in ks_]), np.concatenate([sets[k][2] for k in ks_])

    x_train, y_train = stack(train)
    _ids, x_hold, y_hold, recency_hold = sets[horizon]
    model = churn_model().fit(x_train, y_train)
    run.churn_auc = round(float(roc_auc_score(y_hold, model.predict_proba(x_hold)[:, 1])), 4)
    run.churn_baseline_auc = round(float(roc_auc_score(y_hold, recency_hold)), 4)
    run.churn_status = TRAINED

    # the model that scores as_of learns from every labelled cut-off, the holdout's too
    x_all, y_all = stack([horizon, *train])
    model = churn_model().fit(x_all, y_all)
    ids, features, _labels, _recency = at(0)
    probability = np.round(model.predict_proba(features)[:, 1], 4) if len(ids) else np.zeros(0)
    frame = pd.DataFrame(
        {
            "retailer_id": ids,
            "churn_probability": probability,
            "churn_reason": churn_reasons(model, features, probability)
            if len(ids)
            else np.zeros(0, dtype=object),
        }
    )
    coefficients = model.steps[-1][1].coef_[0]
    return frame, {
        **stats,
        "status": str(TRAINED),
        "holdout_cutoff": day(horizon),
        "train_cutoffs": [day(k) for k in train],
        "train_rows": len(y_train),
        "train_churned": int(y_train.sum()),
        "holdout_rows": len(y_hold),
        "holdout_churned": int(y_hold.sum()),
        "scored": len(ids),
        "coefficients": {
            name: round(float(c), 4) for (name, _r), c in zip(FEATURES, coefficients, strict=True)
        },
    }
