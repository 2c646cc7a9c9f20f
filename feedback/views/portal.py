"""The retailer's own pages (no login, phone-first): the hub, unsubscribe, and answering a survey. Every view
opens the link with `feedback.portal.portal_retailer` first; a link naming an object of another retailer is
refused like a forged one."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import ConflictError
from core.links import link_view
from feedback.links import survey_path
from feedback.models import Survey, SurveyInvitation
from feedback.portal import (
    PORTAL,
    SURVEY,
    PortalRefused,
    portal_refusal_response,
    portal_response_headers,
    portal_retailer,
)
from feedback.selectors.surveys import open_invitation
from feedback.selectors.tier_appeals import retailer_tier_appeals
from feedback.services import portal as portal_services
from feedback.services.survey_responses import questionnaire_areas, survey_response_submit
from loyalty import selectors as loyalty_selectors
from loyalty.links import retailer_link_token
from sales.allocation import selectors as allocation_selectors
from segmentation.tier_card import tier_card


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


def _invitation(visit) -> SurveyInvitation | None:
    """The invitation the link names, only if it is this retailer's."""
    try:
        invitation_id = int(visit.link.ref)
    except (TypeError, ValueError):
        return None
    return (
        SurveyInvitation.objects.select_related("survey__questionnaire")
        .filter(pk=invitation_id, retailer=visit.retailer)
        .first()
    )


@link_view(SURVEY)
@require_http_methods(["GET", "POST"])
def survey_answer_view(request: HttpRequest, token: str):
    try:
        visit = portal_retailer(request=request, token=token, purpose=SURVEY)
    except PortalRefused as refusal:
        return portal_refusal_response(request, refusal)
    invitation = _invitation(visit)
    if invitation is None:
        return portal_refusal_response(request, PortalRefused("tampered", 404))
    survey = invitation.survey
    context = {"retailer": visit.retailer, "survey": survey, "token": token}
    if invitation.answered_at is not None:
        return _done(request, context, already=True)
    if survey.state != Survey.State.FIELDWORK:
        return _done(request, context, closed=True)
    areas = questionnaire_areas(survey.questionnaire_id)
    values, errors = {}, {}
    if request.method == "POST":
        try:
            survey_response_submit(
                invitation_id=invitation.pk, retailer_id=visit.retailer.pk, data=request.POST
            )
        except ValidationError as exc:
            errors = exc.message_dict
            values = {k: v for k, v in request.POST.items() if k.startswith("item_")}
        except ConflictError:
            invitation.refresh_from_db(fields=["answered_at"])
            return _done(request, context, already=invitation.answered_at is not None, closed=True)
        else:
            return redirect(reverse("feedback-public:survey", args=[token]) + "?ok=1")
    sections = [
        {
            "area": area,
            "items": [
                {
                    "item": item,
                    "name": f"item_{item.pk}",
                    "value": values.get(f"item_{item.pk}", ""),
                    "errors": errors.get(f"item_{item.pk}", []),
                    "options": list(range(item.range[0], item.range[1] + 1)) if item.range else [],
                }
                for item in area.items.all()
            ],
        }
        for area in areas
    ]
    context.update(
        sections=sections,
        error_count=len(errors),
        total=sum(len(s["items"]) for s in sections),
        required_total=sum(1 for s in sections for i in s["items"] if i["item"].required),
    )
    response = render(request, "feedback/public/survey.html", context, status=400 if errors else 200)
    return portal_response_headers(response)


def _done(request, context, *, already=False, closed=False):
    just_now = already and request.GET.get("ok") == "1"
    context.update(just_now=just_now, already=already and not just_now, closed=closed and not already)
    return portal_response_headers(render(request, "feedback/public/survey_done.html", context))
