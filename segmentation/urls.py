from django.urls import path

from segmentation import views

app_name = "segmentation"

urlpatterns = [
    path("retailers/<int:pk>/scores/", views.retailer_scores_view, name="retailer-scores"),
    path("retailers/<int:pk>/scores/run/", views.scoring_run_start_view, name="scoring-run-start"),
]
