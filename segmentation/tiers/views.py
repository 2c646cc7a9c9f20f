"""Tier pages: the tier page (distribution, proposals, publication, approval of manual changes), the request for a
manual change from the portrait's scores panel, the tier card panel of the portrait and the tier what-if
(supervisors)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import retailer_scope
from core.errors import ConflictError, error_text
from segmentation.scoring.selectors import retailer_score_get
from segmentation.scoring.views import scores_panel_render
from segmentation.tiers.card import tier_card_get
from segmentation.tiers.grading import tier_period, tier_rule_current
from segmentation.tiers.models import TIER_COUNT, TierChange
from segmentation.tiers.selectors import tier_change_list, tier_distribution, tier_proposal_list
from segmentation.tiers.services import (
    tier_change_decide,
    tier_change_may_decide,
    tier_change_may_request,
    tier_change_request,
    tier_proposal_create,
    tier_proposal_discard,
    tier_proposal_may_create,
    tier_proposal_may_publish,
    tier_proposal_publish,
)
from segmentation.tiers.whatif import (
    BASELINE_CURRENT,
    BASELINES,
    tier_shares_parse,
    tier_whatif,
    tier_whatif_may_run,
)

PROPOSALS_SHOWN = 12
WEIGHTS = ("weight_cartons", "weight_amount", "weight_avg_price")


def _date(text: str) -> datetime.date | None:
    """An ISO date, or None (the last complete period) when empty; ValidationError when unreadable."""
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError({"period_end": _("日期格式应为 YYYY-MM-DD。")}) from None


@login_required
@require_GET
def retailer_tier_card_view(request, pk):
    """The tier card panel of the portrait (htmx); 404 outside the user's territory."""
    card = tier_card_get(user=request.user, retailer_id=pk)
    return render(request, "segmentation/_tier_card_body.html", {"card": card, "public": False})


@login_required
@require_GET
def tier_whatif_view(request):
    """The what-if form and, once asked, what would move and what it does to the scarce brands' allowances."""
    if not tier_whatif_may_run(user=request.user):
        raise PermissionDenied
    rule = tier_rule_current().as_parameters()
    values = {name: request.GET.get(name, str(rule[name])) for name in WEIGHTS}
    values["tier_shares"] = request.GET.get("tier_shares", ", ".join(str(s) for s in rule["tier_shares"]))
    values["baseline"] = request.GET.get("baseline", BASELINE_CURRENT)
    values["period_end"] = request.GET.get("period_end", "")
    context = {"values": values, "rule": rule, "baselines": BASELINES, "result": None, "errors": []}
    status = 200
    if request.GET.get("run"):
        try:
            weights = {}
            for name in WEIGHTS:
                try:
                    weights[name] = int(values[name])
                except ValueError:
                    raise ValidationError({name: "integer"}) from None
            result = tier_whatif(
                user=request.user,
                weights=weights,
                tier_shares=tier_shares_parse(values["tier_shares"]),
                baseline=values["baseline"],
                period_end=_date(values["period_end"]),
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            status = 400
        else:
            context["result"] = result
            context["tiers"] = range(TIER_COUNT, 0, -1)
            context["top_cells"] = [c for c in result.matrix if c[0] != c[1]][:30]
    return render(request, "segmentation/tier_whatif.html", context, status=status)


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
        return scores_panel_render(request, pk, message=_("请选择新档位。"), status=400)
    try:
        tier_change_request(
            user=request.user, retailer_id=pk, to_tier=to_tier, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        return scores_panel_render(request, pk, message=error_text(exc), status=400)
    except ConflictError as exc:
        return scores_panel_render(request, pk, message=str(exc), status=409)
    return scores_panel_render(request, pk, message=_("已提交档位调整申请，待另一位有权限的同事审批。"))


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


def _tier_action(request, action, success):
    try:
        action()
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
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
