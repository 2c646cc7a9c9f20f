"""What a merge of duplicate retailers does with segmentation's rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from SegmentationConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay


def recommendations_move(*, cursor, from_id: int, to_id: int) -> None:
    """A retailer's recommendations are one ranked set: the survivor keeps its own, or takes the duplicate's
    when it has none; the next scoring run replaces the set from both shops' orders."""
    cursor.execute(
        """
        UPDATE segmentation_recommendation SET retailer_id = %(to)s
        WHERE retailer_id = %(from)s
          AND NOT EXISTS (SELECT 1 FROM segmentation_recommendation WHERE retailer_id = %(to)s);
        DELETE FROM segmentation_recommendation WHERE retailer_id = %(from)s;
        """,
        {"from": from_id, "to": to_id},
    )


def tier_changes_move(*, cursor, from_id: int, to_id: int) -> None:
    """The duplicate's tier history joins the survivor's. A request still pending was made against the
    duplicate's tier, not the survivor's: it is closed as rejected first (ask again for the survivor)."""
    cursor.execute(
        """
        UPDATE segmentation_tierchange SET status = 'rejected', decided_at = now()
        WHERE retailer_id = %(from)s AND status = 'pending';
        UPDATE segmentation_tierchange SET retailer_id = %(to)s WHERE retailer_id = %(from)s;
        """,
        {"from": from_id, "to": to_id},
    )


def register() -> None:
    merge_move(
        "segmentation.RetailerScore",
        why="one score per retailer: the survivor keeps its own, or takes the duplicate's when it has none; the "
        "nightly run re-scores the survivor from both shops' orders (closed records are not scored)",
    )
    merge_stay(
        "segmentation.ScoreChange",
        why="the audit of what a scoring run changed on this record at that time",
    )
    merge_stay(
        "segmentation.ScoringEvent",
        why="events raised about this record at that time, already read by the journeys that react to them",
    )
    merge_move(
        "segmentation.Recommendation",
        handler=recommendations_move,
        why="one ranked set per retailer: the survivor keeps its own, or takes the duplicate's when it has none",
    )
    merge_stay(
        "segmentation.TierProposalLine",
        why="a proposal ranks the records as they were on its date; its lines are its evidence and are not "
        "rewritten (a new proposal ranks the survivor with both shops' orders)",
    )
    merge_move(
        "segmentation.TierChange",
        handler=tier_changes_move,
        why="the tier history follows the shop; a pending request on the duplicate is closed as rejected first",
    )
