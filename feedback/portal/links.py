"""The retailer's own pages (no login) share one way in: a signed link (core.links) for one purpose. This module
makes those links (`portal_url`, `survey_url`) and opens them (`portal_retailer`).

- "portal": the retailer's hub — file and follow complaints, see points, unsubscribe; 30 days.
- "survey": one survey invitation (ref = the invitation id); 30 days; one answer per invitation.
- "complaint-rating": the satisfaction follow-up of one resolved complaint (ref = the complaint id); 14 days.

`portal_retailer` is what every such view calls first: rate limit, then the token, then the retailer (a closed
or merged-away shop's links no longer open). Any refusal is a page telling the retailer what to do, never a trace.
"""

import dataclasses
import datetime

from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from campaigns.templating import public_url
from core.links import (
    LinkRefusedError,
    RetailerLink,
    link_purpose_register,
    link_rate_limited,
    retailer_link_make,
    retailer_link_read,
)

PORTAL = "portal"
SURVEY = "survey"
COMPLAINT_RATING = "complaint-rating"


def link_purposes_register() -> None:
    """The purposes of the links feedback sends (called from FeedbackConfig.ready())."""
    link_purpose_register(purpose=PORTAL, max_age=datetime.timedelta(days=30), by="feedback")
    link_purpose_register(purpose=SURVEY, max_age=datetime.timedelta(days=30), by="feedback")
    link_purpose_register(purpose=COMPLAINT_RATING, max_age=datetime.timedelta(days=14), by="feedback")


# --- making links ------------------------------------------------------------------------------------------------
def portal_path(*, retailer_id: int, issuer_id: int | None = None) -> str:
    token = retailer_link_make(retailer_id=retailer_id, purpose=PORTAL, issuer_id=issuer_id)
    return reverse("feedback-public:hub", args=[token])


def survey_path(*, retailer_id: int, invitation_id: int) -> str:
    token = retailer_link_make(retailer_id=retailer_id, purpose=SURVEY, ref=invitation_id)
    return reverse("feedback-public:survey", args=[token])


def portal_url(*, retailer_id: int, issuer_id: int | None = None) -> str:
    """The retailer's hub. Only ever sent to the retailer (a message, the SMS of feedback.portal.services), never
    shown to staff: `issuer_id` is the staff member at whose request it is sent."""
    return public_url(portal_path(retailer_id=retailer_id, issuer_id=issuer_id))


def survey_url(*, retailer_id: int, invitation_id: int) -> str:
    return public_url(survey_path(retailer_id=retailer_id, invitation_id=invitation_id))


# --- opening links ------------------------------------------------------------------------------------------------

_REFUSALS = {
    "tampered": _("链接无效。请使用短信中的完整链接，或联系您的客户经理。"),
    "expired": _("链接已过期。请联系您的客户经理获取新的链接。"),
    "wrong_purpose": _("链接无效。请使用短信中的完整链接，或联系您的客户经理。"),
    "closed": _("该店铺已注销，链接不再可用。"),
    "rate": _("访问过于频繁，请稍后再试。"),
}


class PortalRefused(Exception):  # noqa: N818 — a refusal, rendered by `portal_refusal_response`
    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclasses.dataclass(frozen=True)
class PortalVisit:
    retailer: Retailer
    link: RetailerLink
    token: str


def portal_retailer(*, request: HttpRequest, token: str, purpose: str = PORTAL) -> PortalVisit:
    """The retailer a link opens, or PortalRefused(reason, status) — 429 over the rate limit, 404 otherwise."""
    if link_rate_limited(request=request, token=token):
        raise PortalRefused("rate", 429)
    try:
        link = retailer_link_read(token=token, purpose=purpose)
    except LinkRefusedError as exc:
        raise PortalRefused(exc.reason, 404) from None
    retailer = (
        Retailer.objects.filter(pk=link.retailer_id, merged_into__isnull=True)
        .exclude(status=Retailer.Status.CLOSED)
        .first()
    )
    if retailer is None:
        raise PortalRefused("closed", 404)
    return PortalVisit(retailer=retailer, link=link, token=token)


def portal_refusal_response(request: HttpRequest, refusal: PortalRefused):
    response = render(
        request,
        "feedback/public/refused.html",
        {"message": _REFUSALS[refusal.reason]},
        status=refusal.status,
    )
    response["Cache-Control"] = "no-store"
    if refusal.status == 429:
        response["Retry-After"] = "60"
    return response


def portal_response_headers(response):
    """What every page behind a link sends: not cached, and the token never leaks in a Referer to another site.
    "same-origin" rather than "no-referrer": with no referrer at all the browser posts the page's own forms with
    `Origin: null`, which Django's CSRF check refuses."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
