"""The retailer's own pages under /r/ (no login): see feedback.portal for the links that open them."""

from django.urls import path  # noqa: F401

app_name = "feedback-public"

urlpatterns: list = []
