from django.urls import path

from segmentation.ml import views as ml_views
from segmentation.scoring import views as scoring_views
from segmentation.segments import views as segment_views
from segmentation.tiers import views as tier_views

app_name = "segmentation"

urlpatterns = [
    path("retailers/<int:pk>/scores/", scoring_views.retailer_scores_view, name="retailer-scores"),
    path("retailers/<int:pk>/scores/run/", scoring_views.scoring_run_start_view, name="scoring-run-start"),
    path(
        "retailers/<int:pk>/tier-change/",
        tier_views.retailer_tier_change_request_view,
        name="retailer-tier-change-request",
    ),
    path("retailers/<int:pk>/tier-card/", tier_views.retailer_tier_card_view, name="retailer-tier-card"),
    path("tiers/what-if/", tier_views.tier_whatif_view, name="tier-whatif"),
    path("explorer/", scoring_views.explorer_view, name="explorer"),
    path("runs/", scoring_views.scoring_runs_view, name="scoring-runs"),
    path("segments/clusters/", ml_views.cluster_profiles_view, name="cluster-profiles"),
    path("tiers/", tier_views.tiers_view, name="tiers"),
    path("tiers/proposals/", tier_views.tier_proposal_create_view, name="tier-proposal-create"),
    path(
        "tiers/proposals/<int:pk>/publish/",
        tier_views.tier_proposal_publish_view,
        name="tier-proposal-publish",
    ),
    path(
        "tiers/proposals/<int:pk>/discard/",
        tier_views.tier_proposal_discard_view,
        name="tier-proposal-discard",
    ),
    path(
        "tiers/changes/<int:pk>/<str:decision>/",
        tier_views.tier_change_decide_view,
        name="tier-change-decide",
    ),
    path("segments/", segment_views.segment_list_view, name="segment-list"),
    path("segments/new/", segment_views.segment_create_view, name="segment-create"),
    path("segments/builder/", segment_views.segment_builder_view, name="segment-builder"),
    path("segments/<int:pk>/", segment_views.segment_detail_view, name="segment-detail"),
    path("segments/<int:pk>/edit/", segment_views.segment_update_view, name="segment-update"),
    path("segments/<int:pk>/count/", segment_views.segment_count_view, name="segment-count"),
    path("segments/<int:pk>/archive/", segment_views.segment_archive_view, name="segment-archive"),
]
