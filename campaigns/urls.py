from django.urls import path

from campaigns.views import campaigns, journeys, templates

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_list_view, name="campaign-list"),
    path("new/", campaigns.campaign_create_view, name="campaign-create"),
    path("<int:pk>/", campaigns.campaign_detail_view, name="campaign-detail"),
    path("<int:pk>/edit/", campaigns.campaign_update_view, name="campaign-edit"),
    path("<int:pk>/<str:action>/", campaigns.campaign_action_view, name="campaign-action"),
    path("templates/", templates.template_list_view, name="template-list"),
    path("templates/new/", templates.template_create_view, name="template-create"),
    path("templates/preview/", templates.template_preview_view, name="template-preview"),
    path("templates/<int:pk>/", templates.template_update_view, name="template-edit"),
    path("journeys/", journeys.journey_list_view, name="journey-list"),
    path("journeys/<int:pk>/", journeys.journey_update_view, name="journey-edit"),
    path("journeys/<int:pk>/toggle/", journeys.journey_toggle_view, name="journey-toggle"),
]
