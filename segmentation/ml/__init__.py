"""The machine-learning stages of a scoring run, run after the scores are upserted, in the same transaction:
clusters (clusters.py), churn risk (churn.py) and recommendations (recommendations.py).

Each stage reads what it needs with one bulk query per purpose (COPY into numpy/pandas, never a row at a time),
and writes back in bulk: the cluster and churn columns of RetailerScore through one COPY into a temp table and
one UPDATE … FROM, the recommendations by INSERT … SELECT. Timings per stage go into run.stats["timings"].

scikit-learn and numpy are limited to ML_THREADS threads: the worker shares its cores with PostgreSQL and
other workers, and OpenMP threads spinning on a busy machine cost more than they save.
"""

import time

import pandas as pd
from threadpoolctl import threadpool_limits

from segmentation.ml.churn import churn_compute
from segmentation.ml.clusters import clusters_compute
from segmentation.ml.frames import copy_frame
from segmentation.ml.recommendations import recommendations_refresh
from segmentation.models import ScoringRun

ML_THREADS = 1

# Recorded in each run's parameters["ml"] when it starts, so a later change never alters how an old run reads.
ML_PARAMETERS = {
    "cluster_k_min": 3,
    "cluster_k_max": 8,
    "cluster_sample": 5_000,
    "churn_horizon_weeks": 8,
    "churn_lookback_weeks": 26,
    "churn_train_cutoffs": 4,
    "churn_cutoff_step_weeks": 4,
    "rec_weeks": 13,
    "rec_tier_band": 10,
    "rec_min_share_pct": 30,
    "rec_min_peers": 5,
    "rec_max": 5,
}

WRITE_SQL = """
UPDATE segmentation_retailerscore s
SET cluster_id = m.cluster_id, churn_probability = m.churn_probability,
    churn_reason = coalesce(m.churn_reason, '')
FROM _ml_score m
WHERE m.retailer_id = s.retailer_id
"""
# rows this run could not cluster or score lose the previous run's values
CLEAR_SQL = """
UPDATE segmentation_retailerscore s
SET cluster_id = NULL, churn_probability = NULL, churn_reason = ''
WHERE (s.cluster_id IS NOT NULL OR s.churn_probability IS NOT NULL OR s.churn_reason <> '')
  AND NOT EXISTS (SELECT 1 FROM _ml_score m WHERE m.retailer_id = s.retailer_id)
"""


def ml_parameters(run: ScoringRun) -> dict:
    return {**ML_PARAMETERS, **run.parameters.get("ml", {})}


def ml_stages_run(*, run: ScoringRun, cursor, timings: dict) -> dict:
    """Clusters, churn and recommendations for the run's freshly upserted scores. Fills run.churn_* and
    `timings` (seconds per stage); returns the stages' stats for run.stats."""
    parameters = ml_parameters(run)

    def timed(name, call):
        started = time.perf_counter()
        result = call()
        timings[name] = round(time.perf_counter() - started, 3)
        return result

    with threadpool_limits(limits=ML_THREADS):
        clusters, cluster_stats = timed(
            "clusters", lambda: clusters_compute(run=run, cursor=cursor, parameters=parameters)
        )
        churn, churn_stats = timed(
            "churn", lambda: churn_compute(run=run, cursor=cursor, parameters=parameters)
        )
    timed("scores_update", lambda: _scores_update(cursor, clusters, churn))
    recommendation_stats = timed(
        "recommendations", lambda: recommendations_refresh(run=run, cursor=cursor, parameters=parameters)
    )
    return {"clusters": cluster_stats, "churn": churn_stats, "recommendations": recommendation_stats}


def _scores_update(cursor, clusters: pd.DataFrame, churn: pd.DataFrame) -> None:
    frame = clusters.merge(churn, on="retailer_id", how="outer")
    frame["cluster_id"] = frame["cluster_id"].astype("Int64")
    cursor.execute("DROP TABLE IF EXISTS _ml_score")
    cursor.execute(
        "CREATE TEMP TABLE _ml_score (retailer_id bigint PRIMARY KEY, cluster_id bigint, "
        "churn_probability double precision, churn_reason varchar(16)) ON COMMIT DROP"
    )
    copy_frame(cursor, "_ml_score", frame[["retailer_id", "cluster_id", "churn_probability", "churn_reason"]])
    cursor.execute("ANALYZE _ml_score")
    cursor.execute(WRITE_SQL)
    cursor.execute(CLEAR_SQL)
    cursor.execute("DROP TABLE _ml_score")
