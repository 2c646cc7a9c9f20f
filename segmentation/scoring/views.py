"""Scoring pages: the scores panel the retailer portrait loads (classes, churn risk, cluster, recommendations, the
tier request form and history) and its "run now" button, the segment explorer and its runs panel."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import retailer_scope
from core.errors import ConflictError
from core.replica import reads_from_replica
from segmentation.ml.selectors import (
    churn_risk,
    cluster_profiles_for,
    recommendation_reason,
    retailer_recommendations,
)
from segmentation.scoring.explanations import rfm_explanation, score_explanation
from segmentation.scoring.selectors import (
    explorer_figures,
    retailer_score_get,
    scoring_run_latest,
    scoring_run_list,
)
from segmentation.scoring.services import scoring_run_may_start, scoring_run_start
from segmentation.tiers.models import TIER_COUNT
from segmentation.tiers.selectors import retailer_tier_changes
from segmentation.tiers.services import tier_change_may_request


def scores_panel_render(request, pk, *, message="", status=200):
    """The portrait's scores panel for retailer `pk`, with `message` over it (the answer to one of its buttons)."""
    score = retailer_score_get(user=request.user, retailer_id=pk)
    latest = scoring_run_latest()
    recommendations = retailer_recommendations(user=request.user, retailer_id=pk)
    context = {
        "retailer_id": pk,
        "score": score,
        "explanation": score_explanation(score) if score else "",
        "rfm_explanation": rfm_explanation(score) if score else "",
        "churn": churn_risk(score) if score else None,
        "recommendations": [(r, recommendation_reason(r)) for r in recommendations],
        "may_view_clusters": request.user.has_perm("segmentation.view_clusterprofile"),
        "latest_run": latest,
        "may_run": scoring_run_may_start(user=request.user),
        "may_request_tier": tier_change_may_request(user=request.user),
        "tier_choices": range(TIER_COUNT, 0, -1),
        # the request form starts at the shop's current tier (not at the top of the list)
        "current_tier": retailer_scope(user=request.user)
        .filter(pk=pk)
        .values_list("tier", flat=True)
        .first(),
        "tier_changes": retailer_tier_changes(user=request.user, retailer_id=pk, limit=5),
        "message": message,
    }
    return render(request, "includes/retailer_scores.html", context, status=status)


@login_required
@require_GET
def retailer_scores_view(request, pk):
    return scores_panel_render(request, pk)


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
        return scores_panel_render(request, pk, message=str(exc), status=409)
    return scores_panel_render(request, pk, message=_("评分已开始，完成后自动刷新。"))


@login_required
@require_GET
@reads_from_replica
def explorer_view(request):
    """The segment explorer: how the user's retailers spread over lifecycle stages, RFM segments, value and loyalty
    classes and tiers, and how concentrated the amount is (Pareto), as of the latest scoring run."""
    if not request.user.has_perm("accounts.view_retailer"):
        raise PermissionDenied
    figures = explorer_figures(user=request.user)
    tables = [
        (_("生命周期"), figures["lifecycle"]),
        (_("RFM 分群"), figures["rfm_segment"]),
        (_("价值等级"), figures["value_class"]),
        (_("忠诚度"), figures["loyalty_class"]),
    ]
    context = {"figures": figures, "tables": tables, "latest_run": scoring_run_latest()}
    if request.user.has_perm("segmentation.view_clusterprofile"):
        context["cluster_run"], context["cluster_profiles"] = cluster_profiles_for(user=request.user)
    return render(request, "segmentation/explorer.html", context)


RUNS_SHOWN = 5


def _render_runs(request, *, message="", status=200):
    context = {
        "runs": scoring_run_list()[:RUNS_SHOWN],
        "may_run": scoring_run_may_start(user=request.user),
        "message": message,
    }
    return render(request, "includes/scoring_runs.html", context, status=status)


@login_required
def scoring_runs_view(request):
    """The explorer's runs panel (GET, polled while a run is active) and its "run now" button (POST)."""
    if not request.user.has_perm("segmentation.view_scoringrun"):
        raise PermissionDenied
    if request.method != "POST":
        return _render_runs(request)
    if not scoring_run_may_start(user=request.user):
        raise PermissionDenied
    try:
        scoring_run_start(user=request.user, enqueue=True)
    except ConflictError as exc:
        return _render_runs(request, message=str(exc), status=409)
    return _render_runs(request, message=_("评分已开始，完成后自动刷新。"))
