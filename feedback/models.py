"""Django finds the app's models here; each is defined in its sub-area's own models module (app label "feedback")."""

from feedback.appeals.models import TierAppeal
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEscalation,
    ComplaintEvent,
    ComplaintExport,
    ComplaintPhoto,
)
from feedback.complaints.notifications.models import Notification
from feedback.portal.models import PortalLinkSend
from feedback.surveys.models import (
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

__all__ = [
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
