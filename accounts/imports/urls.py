from django.urls import path

from accounts.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_list_view, name="job-list"),
    path("help/", views.import_help_view, name="help"),
    path("<int:pk>/", views.import_detail_view, name="job-detail"),
    path("<int:pk>/commit/", views.import_commit_view, name="job-commit"),
    path("<int:pk>/cancel/", views.import_cancel_view, name="job-cancel"),
    path("<int:pk>/errors.csv", views.import_errors_view, name="job-errors"),
    path("template/<str:kind>.csv", views.import_template_view, name="template"),
]
