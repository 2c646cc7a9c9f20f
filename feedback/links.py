"""The retailer's own URLs (signed, see feedback.portal): its hub and one survey invitation."""

from django.urls import reverse

from campaigns.templating import public_url
from core.links import retailer_link_make
from feedback.portal import PORTAL, SURVEY


def portal_path(*, retailer_id: int, issuer_id: int | None = None) -> str:
    token = retailer_link_make(retailer_id=retailer_id, purpose=PORTAL, issuer_id=issuer_id)
    return reverse("feedback-public:hub", args=[token])


def survey_path(*, retailer_id: int, invitation_id: int) -> str:
    token = retailer_link_make(retailer_id=retailer_id, purpose=SURVEY, ref=invitation_id)
    return reverse("feedback-public:survey", args=[token])


def portal_url(*, retailer_id: int, issuer_id: int | None = None) -> str:
    """The retailer's hub. Only ever sent to the retailer (a message, the SMS of feedback.services.portal), never
    shown to staff: `issuer_id` is the staff member at whose request it is sent."""
    return public_url(portal_path(retailer_id=retailer_id, issuer_id=issuer_id))


def survey_url(*, retailer_id: int, invitation_id: int) -> str:
    return public_url(survey_path(retailer_id=retailer_id, invitation_id=invitation_id))
