from django.urls import path

from cockpit import views

app_name = "cockpit"

urlpatterns = [
    path("", views.cockpit_view, name="cockpit"),
    path("retailers/", views.drill_retailers_view, name="retailers"),
    path("targets/", views.target_list_view, name="target-list"),
    path("targets/<int:pk>/", views.target_edit_view, name="target-edit"),
    path("targets/<int:pk>/delete/", views.target_delete_view, name="target-delete"),
    path("notices/", views.notice_list_view, name="notice-list"),
    path("notices/read/", views.notice_read_view, name="notice-read"),
    path("reports/", views.report_list_view, name="report-list"),
    path("reports/<int:pk>/", views.report_detail_view, name="report-detail"),
    path("reports/<int:pk>/xlsx/", views.report_xlsx_view, name="report-xlsx"),
]
