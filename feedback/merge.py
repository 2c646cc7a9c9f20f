"""What a merge of duplicate retailers does with feedback's rows about the duplicate (see
accounts.dedupe.services.MERGE_DECISIONS); registered from FeedbackConfig.ready()."""

from accounts.dedupe.services import merge_move, merge_stay


def survey_responses_move(*, cursor, from_id: int, to_id: int) -> None:
    """A response names the retailer of its invitation: it follows the invitation (after invitations moved)."""
    cursor.execute(
        """
        UPDATE feedback_surveyresponse r SET retailer_id = i.retailer_id
        FROM feedback_surveyinvitation i
        WHERE r.invitation_id = i.id AND r.retailer_id = %(from)s AND i.retailer_id = %(to)s
        """,
        {"from": from_id, "to": to_id},
    )


def tier_appeals_move(*, cursor, from_id: int, to_id: int) -> None:
    """Every appeal moves, except an open one when the survivor has an open one too (one open appeal per shop)."""
    cursor.execute(
        """
        UPDATE feedback_tierappeal a SET retailer_id = %(to)s
        WHERE a.retailer_id = %(from)s
          AND NOT (a.outcome = 'pending' AND EXISTS (
              SELECT 1 FROM feedback_tierappeal t WHERE t.retailer_id = %(to)s AND t.outcome = 'pending'))
        """,
        {"from": from_id, "to": to_id},
    )


def register() -> None:
    merge_move(
        "feedback.Complaint",
        why="complaints are the shop's service history (their events and photos follow them); hidden-complaint "
        "detection and reports read them by retailer",
    )
    merge_move("feedback.HiddenComplaintCall", why="the calls made to the shop follow it")
    merge_move(
        "feedback.SurveyInvitation",
        unique_with=["survey"],
        on_conflict="stay",
        why="invitations and their answers follow the shop; where both records were sampled for the same survey "
        "the duplicate's invitation stays on the closed record with its answer (a survey counts each sampled "
        "record once, with its weight)",
    )
    merge_move(
        "feedback.SurveyResponse",
        handler=survey_responses_move,
        why="a response follows its invitation (it stays only where its invitation stays)",
    )
    merge_move(
        "feedback.TierAppeal",
        handler=tier_appeals_move,
        why="an appeal follows its complaint (which moves) and is part of the shop's tier history; at most one "
        "open appeal per shop, so where both shops have an open one the duplicate's stays on the closed record",
    )
    merge_stay(
        "feedback.PortalLinkSend",
        why="an audit trail of which staff member had a link texted to which (masked) number of the closed record; "
        "rewriting it would falsify what was sent",
    )
