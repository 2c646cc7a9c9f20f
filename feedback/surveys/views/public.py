"""The retailer answering a survey behind its SURVEY link (no login, phone-first); opened with
`feedback.portal.links.portal_retailer` first, so an invitation of another retailer is refused like a forged link."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import ConflictError
from core.links import link_view
from feedback.portal.links import (
    SURVEY,
    PortalRefused,
    portal_refusal_response,
    portal_response_headers,
    portal_retailer,
)
from feedback.surveys.models import Survey, SurveyInvitation
from feedback.surveys.services.responses import questionnaire_areas, survey_response_submit


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
