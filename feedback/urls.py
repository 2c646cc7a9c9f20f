"""Staff pages of customer service, mounted at /service/ (namespace feedback)."""

from django.urls import path

from feedback.views import complaints, service_reports

app_name = "feedback"

urlpatterns: list = [
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
    path("hidden-complaints/", service_reports.hidden_complaint_list_view, name="hidden-complaints"),
    path(
        "hidden-complaints/<int:pk>/called/",
        service_reports.hidden_complaint_call_view,
        name="hidden-complaint-call",
    ),
    path("complaints/report/", service_reports.complaint_report_view, name="complaint-report"),
    path("complaints/report/export/", service_reports.complaint_export_view, name="complaint-export"),
    path("notifications/", complaints.notification_list_view, name="notification-list"),
    path("notifications/read/", complaints.notification_read_view, name="notification-read"),
]
