from django.urls import path

from visits.coverage import views as coverage_views
from visits.cultivation import views as cultivation_views
from visits.daily import views as daily_views
from visits.records import views as record_views
from visits.route import views as route_views
from visits.trust import views as trust_views

app_name = "visits"

urlpatterns = [
    path("", daily_views.daily_list_view, name="daily-list"),
    path("route/", route_views.route_view, name="route"),
    path("log/", record_views.visit_list_view, name="visit-list"),
    path("log/<int:pk>/", record_views.visit_detail_view, name="visit-detail"),
    path("log/<int:pk>/photos/<int:photo_id>/", record_views.visit_photo_view, name="visit-photo"),
    path(
        "log/<int:pk>/photos/<int:photo_id>/stamped/",
        record_views.visit_photo_stamped_view,
        name="visit-photo-stamped",
    ),
    path("review/", trust_views.review_queue_view, name="review-queue"),
    path("review/<int:pk>/", trust_views.review_decide_view, name="review-decide"),
    path("retailers/<int:pk>/new/", record_views.visit_new_view, name="visit-new"),
    path("retailers/<int:pk>/record/", record_views.visit_record_view, name="visit-record"),
    path("retailers/<int:pk>/panel/", record_views.retailer_visits_panel_view, name="retailer-visits"),
    path("coverage/", coverage_views.coverage_view, name="coverage"),
    path("coverage/export/", coverage_views.coverage_export_view, name="coverage-export"),
    path("cultivation/", cultivation_views.programme_list_view, name="programme-list"),
    path("cultivation/<int:pk>/", cultivation_views.programme_detail_view, name="programme-detail"),
    path("cultivation/<int:pk>/targets/", cultivation_views.programme_targets_view, name="programme-targets"),
]
