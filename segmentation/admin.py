"""The app's admin pages live in its sub-areas; Django's admin looks for them here."""

from segmentation.ml import admin as ml_admin
from segmentation.scoring import admin as scoring_admin
from segmentation.segments import admin as segments_admin
from segmentation.tiers import admin as tiers_admin

__all__ = ["ml_admin", "scoring_admin", "segments_admin", "tiers_admin"]
