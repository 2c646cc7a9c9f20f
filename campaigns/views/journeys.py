"""Triggered journeys: one row per kind for the supervisor's unit, a switch each, and a settings page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.forms import JourneyForm
from campaigns.models import Journey
from campaigns.selectors import journey_list
from campaigns.services.journeys import journey_may_edit, journey_update, journeys_ensure
from core.errors import error_text


@login_required
@permission_required("campaigns.view_journey", raise_exception=True)
@require_GET
def journey_list_view(request):
    if request.user.org_unit_id:
        journeys_ensure(org_unit=request.user.org_unit)
    journeys = journey_list(user=request.user).order_by("org_unit__path", "kind")
    return render(
        request,
        "campaigns/journey_list.html",
        {"journeys": journeys, "may_edit": request.user.has_perm("campaigns.change_journey")},
    )


def _journey(request, pk) -> Journey:
    journey = get_object_or_404(journey_list(user=request.user), pk=pk)
    if not journey_may_edit(user=request.user, journey=journey):
        raise PermissionDenied
    return journey


@login_required
@require_POST
def journey_toggle_view(request, pk):
    journey = _journey(request, pk)
    try:
        journey_update(actor=request.user, journey=journey, data={"enabled": not journey.enabled})
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("campaigns:journey-edit", pk=journey.pk)
    messages.success(request, _("已启用。") if not journey.enabled else _("已停用。"))
    return redirect("campaigns:journey-list")


@login_required
@require_http_methods(["GET", "POST"])
def journey_update_view(request, pk):
    try:
        journey = _journey(request, pk)
    except PermissionDenied as exc:
        raise Http404 from exc
    form = JourneyForm(request.POST or None, instance=journey, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            journey_update(actor=request.user, journey=journey, data=form.service_data())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已保存。"))
            return redirect("campaigns:journey-list")
    return render(
        request,
        "campaigns/journey_form.html",
        {"form": form, "journey": journey},
        status=400 if form.errors else 200,
    )
