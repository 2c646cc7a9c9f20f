"""The retailer's own URLs (signed, see feedback.portal): its hub and one survey invitation."""

from django.urls import reverse

from accounts.public_links import retailer_link_make
from campaigns.templating import public_url
from feedback.portal import PORTAL, SURVEY


def portal_path(*, retailer_id: int) -> str:
    return reverse("feedback-public:hub", args=[retailer_link_make(retailer_id=retailer_id, purpose=PORTAL)])


def survey_path(*, retailer_id: int, invitation_id: int) -> str:
    token = retailer_link_make(retailer_id=retailer_id, purpose=SURVEY, ref=invitation_id)
    return reverse("feedback-public:survey", args=[token])


def portal_url(*, retailer_id: int) -> str:
    return public_url(portal_path(retailer_id=retailer_id))


def survey_url(*, retailer_id: int, invitation_id: int) -> str:
    return public_url(survey_path(retailer_id=retailer_id, invitation_id=invitation_id))
