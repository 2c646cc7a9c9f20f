"""The retailer's own pages under /r/ (no login): see feedback.portal for the links that open them."""

from django.urls import path

from feedback.views import portal, public_complaints, tier_appeals

app_name = "feedback-public"

urlpatterns: list = [
    path("s/<str:token>/", portal.survey_answer_view, name="survey"),
    path("<str:token>/unsubscribe/", portal.unsubscribe_view, name="unsubscribe"),
    path("<str:token>/", portal.hub_view, name="hub"),
    path("<str:token>/complaints/", public_complaints.complaint_list, name="public-complaint-list"),
    path("<str:token>/complaints/new/", public_complaints.complaint_new, name="public-complaint-new"),
    path(
        "<str:token>/complaints/<int:pk>/", public_complaints.complaint_detail, name="public-complaint-detail"
    ),
    path("<str:token>/tier-appeal/", tier_appeals.public_tier_appeal_new, name="public-tier-appeal"),
    path("rate/<str:token>/", public_complaints.complaint_rate_view, name="complaint-rate"),
]
