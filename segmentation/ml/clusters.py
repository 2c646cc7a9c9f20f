"""Clusters: KMeans over the run's own measures, k chosen by silhouette, and a readable profile per cluster.

Who is clustered: the retailers the run scored with an order in its window (frequency > 0); the others have no
purchase behaviour to group and keep cluster NULL.

Features, standardised (zero mean, unit variance) so that no unit dominates: log monetary, log frequency, log
cartons per order, log average price per carton (单条值), log(1 + recency days), trend (近13周 vs 前13周, clipped to
−100%…+200%, 0 when unknown) and regularity (order weeks ÷ expected weeks; 1 for a first order this week).

k: every k in [k_min, k_max] (run parameters, 3–8 by default; at most the number of distinct points − 1) is fitted
on the same fixed-seed sample of at most `cluster_sample` rows and scored by its mean silhouette on that sample;
the best wins, the smaller k on a tie. 5,000 rows by default: silhouette is quadratic in them, and on 100k demo
retailers 5,000 chose the same k as 10,000 in a quarter of the time. The chosen k is then fitted on every row.
Seeds are fixed, so the same data gives the same clusters.

Profiles: size, share and the medians of the raw measures and of the days since the first order; clusters are
numbered by median monetary, 1 the highest. Traits compare a cluster's medians with those of all clustered
retailers (see `cluster_traits`).
"""

import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from segmentation.ml.frames import sql_frame
from segmentation.ml.models import ClusterProfile
from segmentation.scoring.models import ScoringRun

RANDOM_STATE = 0
N_INIT = 4
T = ClusterProfile.Trait
# how far a cluster's median must sit from the overall median to count as high or low
FREQUENCY_HIGH, FREQUENCY_LOW = 1.25, 0.75
VALUE_HIGH, VALUE_LOW = 1.5, 1 / 1.5
PRICE_HIGH, PRICE_LOW = 1.25, 0.8
WEEKLY_PCT, INTERMITTENT_PCT = 80, 40  # regularity: ordering in ≥ 80% of expected weeks reads as weekly
LAPSING_DAYS = 21  # a median recency of three weeks or more: the group has mostly stopped ordering
TREND_PCT = 15

MEASURES = (
    "monetary_fen",
    "frequency",
    "cartons",
    "avg_price_fen",
    "recency_days",
    "trend_pct",
    "regularity_pct",
    "tenure_days",
)

MEASURES_SQL = """
SELECT retailer_id, monetary_fen, frequency, cartons, avg_price_fen, recency_days, trend_pct,
       CASE WHEN expected_weeks > 0 THEN 100.0 * order_weeks / expected_weeks ELSE 100 END AS regularity_pct,
       %(as_of)s::date - first_order_on AS tenure_days
FROM segmentation_retailerscore
WHERE run_id = %(run_id)s AND frequency > 0
ORDER BY retailer_id
"""
MEASURE_COLUMNS = {
    "retailer_id": "int64",
    "monetary_fen": "float64",
    "frequency": "float64",
    "cartons": "float64",
    "avg_price_fen": "float64",
    "recency_days": "float64",
    "trend_pct": "float64",
    "regularity_pct": "float64",
    "tenure_days": "float64",
}


def cluster_features(measures: pd.DataFrame) -> np.ndarray:
    """The standardised feature matrix (float32) of the measures."""
    frequency = measures["frequency"].to_numpy()
    raw = np.column_stack(
        [
            np.log1p(measures["monetary_fen"].to_numpy()),
            np.log1p(frequency),
            np.log1p(measures["cartons"].to_numpy() / np.maximum(frequency, 1)),
            np.log1p(measures["avg_price_fen"].to_numpy()),
            np.log1p(measures["recency_days"].fillna(0).to_numpy()),
            np.clip(measures["trend_pct"].fillna(0).to_numpy(), -100, 200) / 100,
            measures["regularity_pct"].to_numpy() / 100,
        ]
    )
    return StandardScaler().fit_transform(raw).astype(np.float32)


def k_choose(features: np.ndarray, *, k_min: int, k_max: int, sample_size: int) -> tuple[int | None, dict]:
    """The k in [k_min, k_max] with the best mean silhouette on a fixed-seed sample; (None, {}) when there are
    too few distinct points for k_min clusters. Returns (k, {k: silhouette})."""
    rng = np.random.default_rng(RANDOM_STATE)
    n = len(features)
    sample = (
        features if n <= sample_size else features[np.sort(rng.choice(n, size=sample_size, replace=False))]
    )
    distinct = len(np.unique(sample, axis=0))
    scores: dict[int, float] = {}
    for k in range(k_min, min(k_max, distinct - 1) + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=RANDOM_STATE).fit_predict(sample)
        if 2 <= len(np.unique(labels)) <= len(sample) - 1:
            scores[k] = float(silhouette_score(sample, labels))
    if not scores:
        return None, {}
    best = max(scores, key=lambda k: (scores[k], -k))
    return best, scores


def medians_of(measures: pd.DataFrame) -> dict[str, float | None]:
    """Medians of the raw measures (missing values skipped), rounded to 0.1; None when nothing is known."""
    result = {}
    for name in MEASURES:
        value = measures[name].median(skipna=True)
        result[name] = None if pd.isna(value) else round(float(value), 1)
    return result


def cluster_traits(medians: dict, overall: dict, *, new_days: int = 90) -> list[str]:
    """Frequency and value (high/mid/low against the overall median); "new" when the median first order is
    within `new_days`; the cadence (weekly, intermittent, occasional, or lapsing when the median recency is
    three weeks or more); then the trend (not for a lapsing group, whose trend is only its silence) and the price
    level when they stand out."""

    def ratio(name: str) -> float:
        mine, everyone = medians.get(name), overall.get(name)
        return mine / everyone if mine is not None and everyone else 1.0

    frequency, value, price = ratio("frequency"), ratio("monetary_fen"), ratio("avg_price_fen")
    traits = [
        T.HIGH_FREQUENCY
        if frequency >= FREQUENCY_HIGH
        else T.LOW_FREQUENCY
        if frequency <= FREQUENCY_LOW
        else T.MID_FREQUENCY,
        T.HIGH_VALUE if value >= VALUE_HIGH else T.LOW_VALUE if value <= VALUE_LOW else T.MID_VALUE,
    ]
    recency, regularity = medians.get("recency_days") or 0, medians.get("regularity_pct") or 0
    tenure = medians.get("tenure_days")
    if tenure is not None and tenure <= new_days:
        traits.append(T.NEW)
    if recency >= LAPSING_DAYS:
        traits.append(T.LAPSING)
    elif regularity >= WEEKLY_PCT:
        traits.append(T.WEEKLY)
    elif regularity >= INTERMITTENT_PCT:
        traits.append(T.INTERMITTENT)
    else:
        traits.append(T.OCCASIONAL)
    trend = None if traits[-1] == T.LAPSING else medians.get("trend_pct")
    if trend is not None and trend >= TREND_PCT:
        traits.append(T.GROWING)
    elif trend is not None and trend <= -TREND_PCT:
        traits.append(T.DECLINING)
    if price >= PRICE_HIGH:
        traits.append(T.PREMIUM)
    elif price <= PRICE_LOW:
        traits.append(T.ECONOMY)
    return [str(t.value) for t in traits]


def clusters_compute(*, run: ScoringRun, cursor, parameters: dict) -> tuple[pd.DataFrame, dict]:
    """Cluster the run's buyers and save one ClusterProfile per cluster. Returns (frame of retailer_id,
    cluster_id for the clustered retailers, stats for run.stats["clusters"])."""
    params = {"run_id": run.pk, "as_of": run.parameters["as_of"]}
    measures = sql_frame(cursor, MEASURES_SQL, params, MEASURE_COLUMNS)
    empty = pd.DataFrame({"retailer_id": pd.Series(dtype="int64"), "cluster_id": pd.Series(dtype="Int64")})
    k_min, k_max = parameters["cluster_k_min"], parameters["cluster_k_max"]
    stats: dict = {"retailers": len(measures), "k_min": k_min, "k_max": k_max}
    if len(measures) <= k_min:
        return empty, {**stats, "status": "skipped", "reason": "too_few_retailers"}
    features = cluster_features(measures)
    k, silhouettes = k_choose(features, k_min=k_min, k_max=k_max, sample_size=parameters["cluster_sample"])
    stats["silhouette"] = {str(key): round(value, 4) for key, value in silhouettes.items()}
    if k is None:
        return empty, {**stats, "status": "skipped", "reason": "too_few_distinct"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_clusters=k, n_init=N_INIT, random_state=RANDOM_STATE).fit_predict(features)

    overall = medians_of(measures)
    groups = {label: measures[labels == label] for label in np.unique(labels)}
    # number 1 = the cluster with the highest median monetary (ties by size, then label for determinism)
    order = sorted(groups, key=lambda g: (-groups[g]["monetary_fen"].median(), -len(groups[g]), g))
    total = len(measures)
    profiles = []
    for number, label in enumerate(order, start=1):
        medians = medians_of(groups[label])
        profiles.append(
            ClusterProfile(
                run=run,
                number=number,
                traits=cluster_traits(medians, overall, new_days=run.parameters.get("new_days", 90)),
                size=len(groups[label]),
                share=Decimal(len(groups[label]) / total).quantize(Decimal("0.0001")),
                medians=medians,
            )
        )
    ClusterProfile.objects.bulk_create(profiles)  # at most k_max rows
    profile_id = np.zeros(k, dtype=np.int64)
    for profile, label in zip(profiles, order, strict=True):
        profile_id[label] = profile.pk
    cluster_ids = profile_id[labels]
    frame = pd.DataFrame({"retailer_id": measures["retailer_id"].to_numpy(), "cluster_id": cluster_ids})
    return frame, {**stats, "status": "done", "k": k, "overall_medians": overall}
