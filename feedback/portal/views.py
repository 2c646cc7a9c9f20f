"""The retailer's own pages (no login, phone-first): the hub and unsubscribe (answering a survey: feedback.surveys.views.public). Every view
opens the link with `feedback.portal.links.portal_retailer` first; a link naming an object of another retailer is
refused like a forged one."""

from django.http import HttpRequest
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.links import link_view
from feedback.appeals.selectors import retailer_tier_appeals
from feedback.portal import services as portal_services
from feedback.portal.links import (
    PORTAL,
    PortalRefused,
    portal_refusal_response,
    portal_response_headers,
    portal_retailer,
    survey_path,
)
from feedback.surveys.selectors import open_invitation
from loyalty import selectors as loyalty_selectors
from loyalty.links import retailer_link_token
from sales.allocation import selectors as allocation_selectors
from segmentation.tiers.card import tier_card


@link_view(PORTAL)
@require_http_methods(["GET"])
def hub_view(request: HttpRequest, token: str):
    try:
        visit = portal_retailer(request=request, token=token)
    except PortalRefused as refusal:
        return portal_refusal_response(request, refusal)
    retailer = visit.retailer
    invitation = open_invitation(retailer=retailer)
    points = loyalty_selectors.points_summary(retailer=retailer)
    # its scarce-product allowance this cycle and the next, each with why (tier, market type, the rule row)
    today = timezone.localdate()
    coming = allocation_selectors.coming_cycle_day(today)
    current = allocation_selectors.retailer_allowances(retailer_ids=[retailer.pk], day=today)[retailer.pk]
    upcoming = (
        allocation_selectors.retailer_allowances(retailer_ids=[retailer.pk], day=coming)[retailer.pk]
        if coming != today
        else []
    )
    context = {
        "retailer": retailer,
        "token": token,
        "invitation": invitation,
        "survey_link": (
            survey_path(retailer_id=retailer.pk, invitation_id=invitation.pk) if invitation else ""
        ),
        "complaint_new_url": reverse("feedback-public:public-complaint-new", args=[token]),
        "complaint_list_url": reverse("feedback-public:public-complaint-list", args=[token]),
        "points": points,
        "points_url": reverse("loyalty:link", args=[retailer_link_token(retailer_id=retailer.pk)]),
        "subscribed": retailer.sms_consent or retailer.email_consent,
        "allowances": current,
        "upcoming_allowances": [a for a in upcoming if a.plan.pk not in {c.plan.pk for c in current}],
        "coming": coming,
        "card": tier_card(retailer=retailer),
        "appeal_url": reverse("feedback-public:public-tier-appeal", args=[token]),
        "tier_appeals": retailer_tier_appeals(retailer=retailer, limit=3),
    }
    return portal_response_headers(render(request, "feedback/public/hub.html", context))


@link_view(PORTAL)
@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str):
    try:
        visit = portal_retailer(request=request, token=token)
    except PortalRefused as refusal:
        return portal_refusal_response(request, refusal)
    context = {"retailer": visit.retailer, "token": token, "done": False}
    if request.method == "POST":
        withdrawn = portal_services.retailer_unsubscribe(retailer=visit.retailer)
        context.update(done=True, withdrawn=portal_services.channel_names(withdrawn))
    else:
        context["subscribed"] = visit.retailer.sms_consent or visit.retailer.email_consent
    return portal_response_headers(render(request, "feedback/public/unsubscribe.html", context))
