"""Tier appeals: the retailer's form behind its portal link, and the supervisors' list where they decide."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ConflictError, error_text
from core.links import link_view
from feedback.appeals.models import TierAppeal
from feedback.appeals.selectors import tier_appeal_list
from feedback.appeals.services import tier_appeal_decide, tier_appeal_file, tier_appeal_may_decide
from feedback.portal.links import (
    PORTAL,
    PortalRefused,
    portal_refusal_response,
    portal_response_headers,
    portal_retailer,
)
from segmentation.tiers.card import tier_card
from segmentation.tiers.models import TIER_COUNT

LIST_SIZE = 100


@link_view(PORTAL)
@require_http_methods(["GET", "POST"])
def public_tier_appeal_new(request, token):
    """ "对档位有异议": the retailer's tier card and a text box; filing opens a case with a deadline."""
    try:
        visit = portal_retailer(request=request, token=token)
    except PortalRefused as refusal:
        return portal_refusal_response(request, refusal)
    description, error, status = "", "", 200
    if request.method == "POST":
        description = request.POST.get("description", "")
        try:
            appeal, created = tier_appeal_file(retailer=visit.retailer, description=description)
        except ValidationError as exc:
            error, status = error_text(exc), 400
        except ConflictError as exc:
            error, status = str(exc), 409
        else:
            if created:
                messages.success(
                    request,
                    _t("已收到您的档位异议，编号 %(id)s。主管将在 %(due)s 前答复。")
                    % {"id": appeal.complaint_id, "due": _due(appeal)},
                )
            return portal_response_headers(
                redirect("feedback-public:public-complaint-detail", token, appeal.complaint_id)
            )
    context = {
        "retailer": visit.retailer,
        "token": token,
        "card": tier_card(retailer=visit.retailer),
        "description": description,
        "error": error,
    }
    return portal_response_headers(
        render(request, "feedback/public/tier_appeal.html", context, status=status)
    )


def _due(appeal: TierAppeal) -> str:
    due = appeal.complaint.resolution_due
    return timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else "—"


@login_required
@require_GET
def tier_appeal_list_view(request):
    if not request.user.has_perm("feedback.view_tierappeal"):
        raise PermissionDenied
    outcome = request.GET.get("outcome", TierAppeal.Outcome.PENDING)
    context = {
        "appeals": tier_appeal_list(user=request.user, outcome=outcome or None)[:LIST_SIZE],
        "outcome": outcome,
        "outcomes": TierAppeal.Outcome.choices,
        "may_decide": tier_appeal_may_decide(user=request.user),
        "tiers": range(TIER_COUNT, 0, -1),
    }
    return render(request, "feedback/tier_appeal_list.html", context)


@login_required
@require_POST
def tier_appeal_decide_view(request, pk):
    if not tier_appeal_may_decide(user=request.user):
        raise PermissionDenied
    to_tier = request.POST.get("to_tier", "")
    try:
        tier_appeal_decide(
            user=request.user,
            appeal_id=pk,
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
            to_tier=int(to_tier) if to_tier.isdigit() else None,
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except ConflictError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _t("已裁定，零售户可在其页面看到结果。"))
    return redirect("feedback:tier-appeal-list")
