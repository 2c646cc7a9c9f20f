"""Segmentation pages: the scores panel the retailer portrait loads, and its "run now" button."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.errors import ConflictError
from segmentation.selectors import retailer_score_get, score_explanation, scoring_run_latest
from segmentation.services import scoring_run_may_start, scoring_run_start


def _render_panel(request, pk, *, message="", status=200):
    score = retailer_score_get(user=request.user, retailer_id=pk)
    latest = scoring_run_latest()
    context = {
        "retailer_id": pk,
        "score": score,
        "explanation": score_explanation(score) if score else "",
        "latest_run": latest,
        "may_run": scoring_run_may_start(user=request.user),
        "message": message,
    }
    return render(request, "includes/retailer_scores.html", context, status=status)


@login_required
@require_GET
def retailer_scores_view(request, pk):
    return _render_panel(request, pk)


@login_required
@require_POST
def scoring_run_start_view(request, pk):
    """Start a run for everyone (from a retailer's panel, which then shows its progress)."""
    retailer_score_get(user=request.user, retailer_id=pk)  # 404 outside the user's territory
    if not scoring_run_may_start(user=request.user):
        raise PermissionDenied
    try:
        scoring_run_start(user=request.user, enqueue=True)
    except ConflictError as exc:
        return _render_panel(request, pk, message=str(exc), status=409)
    return _render_panel(request, pk, message=_("评分已开始，完成后自动刷新。"))
