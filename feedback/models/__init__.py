"""Customer service: satisfaction surveys (surveys.py) and complaints (complaints.py)."""

from feedback.models.surveys import (  # noqa: F401
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
