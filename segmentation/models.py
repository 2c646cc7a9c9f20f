"""The app's models live in its sub-areas; Django looks for them here."""

from segmentation.ml.models import ClusterProfile, Recommendation
from segmentation.scoring.models import LifecycleRule, RetailerScore, ScoreChange, ScoringEvent, ScoringRun
from segmentation.segments.models import Segment
from segmentation.tiers.models import TierChange, TierProposal, TierProposalLine, TierRule

__all__ = [
    "ClusterProfile",
    "LifecycleRule",
    "Recommendation",
    "RetailerScore",
    "ScoreChange",
    "ScoringEvent",
    "ScoringRun",
    "Segment",
    "TierChange",
    "TierProposal",
    "TierProposalLine",
    "TierRule",
]
