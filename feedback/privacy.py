"""What a PIPL deletion does with feedback's rows about a retailer (see accounts.personal_data.PRIVACY_DECISIONS);
registered from FeedbackConfig.ready()."""

from accounts.personal_data import PrivacyAction, privacy_declare, rows_anonymise

ANONYMISE, KEEP = PrivacyAction.ANONYMISE, PrivacyAction.KEEP
COMPLAINT_TEXT = ("description", "resolution", "rating_comment")


def complaints_anonymise(*, rows, retailer_id: int, values: dict) -> int:
    """The complaints and their timelines stay; the person's values are scrubbed from both."""
    from feedback.complaints.models import ComplaintEvent

    changed = rows_anonymise(rows, scrub=COMPLAINT_TEXT, values=values)
    events = ComplaintEvent.objects.filter(complaint__retailer_id=retailer_id)
    return changed + rows_anonymise(events, scrub=("text",), values=values)


def survey_responses_anonymise(*, rows, retailer_id: int, values: dict) -> int:
    from feedback.surveys.models import SurveyAnswer

    answers = SurveyAnswer.objects.filter(response__retailer_id=retailer_id)
    return rows_anonymise(answers, scrub=("text",), values=values)


def register() -> None:
    privacy_declare(
        "feedback.Complaint",
        ANONYMISE,
        handler=complaints_anonymise,
        scrub=COMPLAINT_TEXT,
        why="complaints are the company's service records (12313 cases are reported upwards) and stay; the "
        "person's name, phone and numbers are scrubbed from their texts and timelines; photos of the shop stay",
    )
    privacy_declare(
        "feedback.ComplaintEvent",
        KEEP,
        field="complaint__retailer",
        why="the complaints' timelines, scrubbed with the complaints",
    )
    privacy_declare(
        "feedback.TierAppeal",
        ANONYMISE,
        scrub=("decision_reason",),
        why="a tier appeal is part of the tier history (the allowance of rationed brands follows the tier) and "
        "stays with its case; the person's values are scrubbed from the decision's reason",
    )
    privacy_declare(
        "feedback.HiddenComplaintCall",
        ANONYMISE,
        scrub=("note",),
        why="calls made to the shop stay as service records; the person's values are scrubbed from the notes",
    )
    privacy_declare(
        "feedback.SurveyInvitation", KEEP, why="a sampled invitation: survey weights, no personal field"
    )
    privacy_declare(
        "feedback.SurveyResponse",
        ANONYMISE,
        handler=survey_responses_anonymise,
        why="answers stay in the survey's indices; the person's values are scrubbed from free-text answers",
    )
    privacy_declare(
        "feedback.SurveyAnswer",
        KEEP,
        field="response__retailer",
        why="the answers, scrubbed with the responses",
    )
    privacy_declare(
        "feedback.PortalLinkSend",
        KEEP,
        kept=("to_number",),
        why="which staff member had the retailer's link texted: the number is stored masked (138****1234)",
    )
