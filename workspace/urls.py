from django.urls import path

from workspace import views

app_name = "workspace"

urlpatterns = [
    path("retailers/<int:pk>/summary/", views.retailer_summary_view, name="retailer-summary"),
]
