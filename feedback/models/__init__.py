"""Customer service, one module per area: complaints (complaints.py) and satisfaction surveys (surveys.py)."""

from feedback.models.complaints import (
    Complaint,
    ComplaintCategory,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintExport,
    ComplaintPhoto,
    HiddenComplaintCall,
    Notification,
    PortalLinkSend,
)
from feedback.models.surveys import (
    QuestionArea,
    QuestionItem,
    Questionnaire,
    Survey,
    SurveyAnswer,
    SurveyAreaScore,
    SurveyExport,
    SurveyInvitation,
    SurveyResponse,
    SurveyStratum,
)
from feedback.models.tier_appeals import TIER_APPEAL_CATEGORY, TierAppeal

__all__ = [
    "TIER_APPEAL_CATEGORY",
    "Complaint",
    "ComplaintCategory",
    "ComplaintEscalation",
    "ComplaintEvent",
    "ComplaintExport",
    "ComplaintPhoto",
    "HiddenComplaintCall",
    "Notification",
    "PortalLinkSend",
    "QuestionArea",
    "QuestionItem",
    "Questionnaire",
    "Survey",
    "SurveyAnswer",
    "SurveyAreaScore",
    "SurveyExport",
    "SurveyInvitation",
    "SurveyResponse",
    "SurveyStratum",
    "TierAppeal",
]
