from django.urls import path

from fieldapp import views

app_name = "fieldapp"

urlpatterns = [
    path("offline-urls/", views.offline_urls_view, name="offline-urls"),
    path("products/", views.products_view, name="products"),
    path("visits/<int:pk>/sync/", views.visit_sync_view, name="visit-sync"),
    path("held/", views.held_list_view, name="held-list"),
    path("held/<int:pk>/decide/", views.held_decide_view, name="held-decide"),
]
