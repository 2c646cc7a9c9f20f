from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.request_list_view, name="request-list"),
    path("new/", views.request_create_view, name="request-create"),
    path("<int:pk>/", views.request_detail_view, name="request-detail"),
    path("<int:pk>/export.<str:fmt>", views.request_export_view, name="request-export"),
    path("<int:pk>/<str:action>/", views.request_action_view, name="request-action"),
]
