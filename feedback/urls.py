"""Staff pages of customer service, mounted at /service/ (namespace feedback)."""

from django.urls import path

from feedback.appeals import views as appeals
from feedback.complaints.hidden import views as hidden
from feedback.complaints.notifications import views as notifications
from feedback.complaints.reports import views as reports
from feedback.complaints.views import cases as complaints
from feedback.surveys.views import questionnaires, surveys

app_name = "feedback"

urlpatterns: list = [
    path("surveys/", surveys.survey_list_view, name="survey-list"),
    path("surveys/new/", surveys.survey_create_view, name="survey-create"),
    path("surveys/report/", surveys.survey_report_view, name="survey-report"),
    path("surveys/<int:pk>/", surveys.survey_detail_view, name="survey-detail"),
    path("surveys/<int:pk>/responses/", surveys.survey_responses_view, name="survey-responses"),
    path("surveys/<int:pk>/export.csv", surveys.survey_export_view, name="survey-export"),
    path("surveys/<int:pk>/<slug:action>/", surveys.survey_action_view, name="survey-action"),
    path("survey-responses/<int:pk>/", surveys.response_detail_view, name="survey-response"),
    path("retailers/<int:pk>/service/", surveys.retailer_service_panel_view, name="retailer-service"),
    path(
        "retailers/<int:pk>/service/send-link/",
        surveys.retailer_portal_link_send_view,
        name="retailer-portal-link-send",
    ),
    path("questionnaires/", questionnaires.questionnaire_list_view, name="questionnaire-list"),
    path("questionnaires/<int:pk>/", questionnaires.questionnaire_detail_view, name="questionnaire-detail"),
    path(
        "questionnaires/<int:pk>/<slug:action>/",
        questionnaires.questionnaire_action_view,
        name="questionnaire-action",
    ),
    path("complaints/", complaints.complaint_list_view, name="complaint-list"),
    path("complaints/new/", complaints.complaint_create_view, name="complaint-create"),
    path("complaints/<int:pk>/", complaints.complaint_detail_view, name="complaint-detail"),
    path(
        "complaints/<int:pk>/photos/<int:photo_id>/",
        complaints.complaint_photo_view,
        name="complaint-photo",
    ),
    path(
        "complaints/<int:pk>/<str:action>/",
        complaints.complaint_action_view,
        name="complaint-action",
    ),
    path(
        "retailers/<int:pk>/complaints/",
        complaints.retailer_complaints_panel_view,
        name="retailer-complaints",
    ),
    path("hidden-complaints/", hidden.hidden_complaint_list_view, name="hidden-complaints"),
    path(
        "hidden-complaints/<int:pk>/called/",
        hidden.hidden_complaint_call_view,
        name="hidden-complaint-call",
    ),
    path("complaints/report/", reports.complaint_report_view, name="complaint-report"),
    path("complaints/report/export/", reports.complaint_export_view, name="complaint-export"),
    path("tier-appeals/", appeals.tier_appeal_list_view, name="tier-appeal-list"),
    path("tier-appeals/<int:pk>/decide/", appeals.tier_appeal_decide_view, name="tier-appeal-decide"),
    path("notifications/", notifications.notification_list_view, name="notification-list"),
    path("notifications/read/", notifications.notification_read_view, name="notification-read"),
]
