from django.urls import path

from visits import route_views, views

app_name = "visits"

urlpatterns = [
    path("", views.daily_list_view, name="daily-list"),
    path("route/", route_views.route_view, name="route"),
    path("log/", views.visit_list_view, name="visit-list"),
    path("log/<int:pk>/", views.visit_detail_view, name="visit-detail"),
    path("log/<int:pk>/photos/<int:photo_id>/", views.visit_photo_view, name="visit-photo"),
    path(
        "log/<int:pk>/photos/<int:photo_id>/stamped/",
        views.visit_photo_stamped_view,
        name="visit-photo-stamped",
    ),
    path("review/", views.review_queue_view, name="review-queue"),
    path("review/<int:pk>/", views.review_decide_view, name="review-decide"),
    path("retailers/<int:pk>/new/", views.visit_new_view, name="visit-new"),
    path("retailers/<int:pk>/record/", views.visit_record_view, name="visit-record"),
    path("retailers/<int:pk>/panel/", views.retailer_visits_panel_view, name="retailer-visits"),
    path("coverage/", views.coverage_view, name="coverage"),
    path("coverage/export/", views.coverage_export_view, name="coverage-export"),
    path("cultivation/", views.programme_list_view, name="programme-list"),
    path("cultivation/<int:pk>/", views.programme_detail_view, name="programme-detail"),
    path("cultivation/<int:pk>/targets/", views.programme_targets_view, name="programme-targets"),
]
