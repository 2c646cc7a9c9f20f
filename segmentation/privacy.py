"""What a PIPL deletion does with segmentation's rows about a retailer (see
accounts.personal_data.PRIVACY_DECISIONS); registered from SegmentationConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare

KEEP = PrivacyAction.KEEP


def register() -> None:
    privacy_declare(
        "segmentation.RetailerScore",
        KEEP,
        why="the shop's scores are computed from its orders every night (a closed shop is not scored); no "
        "personal field",
    )
    privacy_declare(
        "segmentation.ScoreChange",
        KEEP,
        why="what a scoring run changed on the record: classes, no personal field",
    )
    privacy_declare(
        "segmentation.ScoringEvent",
        KEEP,
        why="events raised about the record (kinds and dates), no personal field",
    )
    privacy_declare(
        "segmentation.Recommendation", KEEP, why="products recommended from purchases, no personal field"
    )
    privacy_declare(
        "segmentation.TierProposalLine",
        KEEP,
        why="a tier proposal's ranking: allocation evidence, no personal field",
    )
    privacy_declare(
        "segmentation.TierChange",
        KEEP,
        why="the tier history drives the allocation (a monopoly supply record); no personal field",
    )
