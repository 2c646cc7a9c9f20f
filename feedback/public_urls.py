"""The retailer's own pages under /r/ (no login): see feedback.portal.links for the links that open them."""

from django.urls import path

from feedback.appeals import views as appeals
from feedback.complaints.views import public as complaints
from feedback.portal import views as portal
from feedback.surveys.views import public as surveys

app_name = "feedback-public"

urlpatterns: list = [
    path("s/<str:token>/", surveys.survey_answer_view, name="survey"),
    path("<str:token>/unsubscribe/", portal.unsubscribe_view, name="unsubscribe"),
    path("<str:token>/", portal.hub_view, name="hub"),
    path("<str:token>/complaints/", complaints.complaint_list, name="public-complaint-list"),
    path("<str:token>/complaints/new/", complaints.complaint_new, name="public-complaint-new"),
    path("<str:token>/complaints/<int:pk>/", complaints.complaint_detail, name="public-complaint-detail"),
    path("<str:token>/tier-appeal/", appeals.public_tier_appeal_new, name="public-tier-appeal"),
    path("rate/<str:token>/", complaints.complaint_rate_view, name="complaint-rate"),
]
