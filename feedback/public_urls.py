"""The retailer's own pages under /r/ (no login): see feedback.portal for the links that open them."""

from django.urls import path

from feedback.views import portal

app_name = "feedback-public"

urlpatterns: list = [
    path("s/<str:token>/", portal.survey_answer_view, name="survey"),
    path("<str:token>/unsubscribe/", portal.unsubscribe_view, name="unsubscribe"),
    path("<str:token>/", portal.hub_view, name="hub"),
]
