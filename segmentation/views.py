"""Segmentation pages: the scores panel the retailer portrait loads (classes, churn risk, cluster,
recommendations), its "run now" button and tier request form, the cluster profiles page, and the tier page
(proposals, publication, approval of manual changes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import retailer_scope
from core.errors import ConflictError
from core.replica import reads_from_replica
from segmentation.models import TIER_COUNT, TierChange
from segmentation.selectors import (
    churn_risk,
    cluster_profiles_for,
    explorer_figures,
    recommendation_reason,
    retailer_recommendations,
    retailer_score_get,
    retailer_tier_changes,
    rfm_explanation,
    score_explanation,
    scoring_run_latest,
    scoring_run_list,
    tier_change_list,
    tier_proposal_list,
)
from segmentation.services import scoring_run_may_start, scoring_run_start
from segmentation.tier_card import tier_distribution
from segmentation.tier_whatif import tier_whatif_may_run
from segmentation.tiers import (
    tier_change_decide,
    tier_change_may_decide,
    tier_change_may_request,
    tier_change_request,
    tier_period,
    tier_proposal_create,
    tier_proposal_discard,
    tier_proposal_may_create,
    tier_proposal_may_publish,
    tier_proposal_publish,
    tier_rule_current,
)

PROPOSALS_SHOWN = 12


def _render_panel(request, pk, *, message="", status=200):
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


@login_required
@require_POST
def retailer_tier_change_request_view(request, pk):
    """The "申请调整档位" form of the scores panel."""
    retailer_score_get(user=request.user, retailer_id=pk)  # 404 outside the user's territory
    if not tier_change_may_request(user=request.user):
        raise PermissionDenied
    try:
        to_tier = int(request.POST.get("to_tier", ""))
    except ValueError:
        return _render_panel(request, pk, message=_("请选择新档位。"), status=400)
    try:
        tier_change_request(
            user=request.user, retailer_id=pk, to_tier=to_tier, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return _render_panel(request, pk, message=" ".join(exc.messages), status=400)
    except ConflictError as exc:
        return _render_panel(request, pk, message=str(exc), status=409)
    return _render_panel(request, pk, message=_("已提交档位调整申请，待另一位有权限的同事审批。"))


@login_required
@require_GET
def cluster_profiles_view(request):
    """The clusters of the latest finished run, for supervisors; the table itself is the include
    includes/cluster_profiles.html, so other pages can embed it."""
    if not request.user.has_perm("segmentation.view_clusterprofile"):
        raise PermissionDenied
    run, profiles = cluster_profiles_for(user=request.user)
    context = {"cluster_run": run, "cluster_profiles": profiles}
    return render(request, "segmentation/cluster_profiles.html", context)


@login_required
@require_GET
def tiers_view(request):
    if not request.user.has_perm("segmentation.view_tierproposal"):
        raise PermissionDenied
    rule = tier_rule_current()
    distribution = tier_distribution(retailers=retailer_scope(user=request.user))
    peak = max((n for _t, n in distribution), default=0) or 1
    start, end = tier_period(period=rule.period)
    context = {
        "rule": rule,
        "distribution": [(t, n, round(100 * n / peak)) for t, n in distribution],
        "graded_count": sum(n for _t, n in distribution),
        "next_period": (start, end),
        "scope_label": request.user.org_unit if not request.user.is_company_admin else _("全公司"),
        "may_whatif": tier_whatif_may_run(user=request.user),
        "proposals": tier_proposal_list(user=request.user)[:PROPOSALS_SHOWN],
        "pending": tier_change_list(user=request.user, status=TierChange.Status.PENDING)[:100],
        "tiers": range(TIER_COUNT, 0, -1),
        "may_create": tier_proposal_may_create(user=request.user),
        "may_publish": tier_proposal_may_publish(user=request.user),
        "may_decide": tier_change_may_decide(user=request.user),
    }
    return render(request, "segmentation/tiers.html", context)


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


def _tier_action(request, action, success):
    try:
        action()
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    else:
        messages.success(request, success)
    return redirect("segmentation:tiers")


@login_required
@require_POST
def tier_proposal_create_view(request):
    return _tier_action(request, lambda: tier_proposal_create(user=request.user), _("已生成档位方案草稿。"))


@login_required
@require_POST
def tier_proposal_publish_view(request, pk):
    return _tier_action(
        request, lambda: tier_proposal_publish(user=request.user, proposal_id=pk), _("档位方案已发布。")
    )


@login_required
@require_POST
def tier_proposal_discard_view(request, pk):
    return _tier_action(
        request, lambda: tier_proposal_discard(user=request.user, proposal_id=pk), _("档位方案已作废。")
    )


@login_required
@require_POST
def tier_change_decide_view(request, pk, decision):
    if decision not in ("approve", "reject"):
        raise Http404
    approve = decision == "approve"
    return _tier_action(
        request,
        lambda: tier_change_decide(user=request.user, change_id=pk, approve=approve),
        _("已批准档位调整。") if approve else _("已驳回档位调整。"),
    )
