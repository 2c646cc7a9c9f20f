"""The stages of a scoring run's machine learning, run after the scores are upserted, in the same transaction
(see the package's docstring); imported only by the run itself, as it loads scikit-learn and pandas."""

import time

import pandas as pd
from threadpoolctl import threadpool_limits

from segmentation.ml.churn import churn_compute
from segmentation.ml.clusters import clusters_compute
from segmentation.ml.frames import copy_frame
from segmentation.ml.parameters import ml_parameters
from segmentation.ml.recommendations import recommendations_refresh
from segmentation.scoring.models import ScoringRun

ML_THREADS = 1  # see the package docstring

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
