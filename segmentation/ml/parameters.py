"""What a scoring run records of its machine-learning stages (run.parameters["ml"]) and the churn bands the pages
read: kept apart from the stages so that reading them never imports scikit-learn, pandas or scipy (seconds of
start-up for every web process, worker and management command)."""

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

BAND_HIGH, BAND_MEDIUM = 0.5, 0.2


def ml_parameters(run) -> dict:
    """The run's ML parameters (those recorded when it started over the current defaults)."""
    return {**ML_PARAMETERS, **run.parameters.get("ml", {})}
