"""Campaign pages. A CM sees the campaigns that reach their retailers (numbers of their own retailers only);
supervisors create, approve (not their own) and run the campaigns of their unit."""

import json
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from campaigns.forms import CampaignForm
from campaigns.models import Campaign
from campaigns.selectors import (
    campaign_card_counts,
    campaign_conversion,
    campaign_counts,
    campaign_get,
    campaign_list,
    campaign_seen_whole,
    campaign_uplift_shown,
)
from campaigns.services.campaigns import (
    campaign_approve,
    campaign_cancel,
    campaign_create,
    campaign_may_approve,
    campaign_may_edit,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
    campaign_update,
)
from core.errors import ConflictError, error_text, form_errors_add

PAGE_SIZE = 30
ACTIONS = {
    "approve": (campaign_approve, gettext_lazy("已审批。")),
    "launch": (campaign_schedule, gettext_lazy("已安排发送。")),
    "pause": (campaign_pause, gettext_lazy("已暂停。")),
    "resume": (campaign_resume, gettext_lazy("已恢复。")),
    "cancel": (campaign_cancel, gettext_lazy("已取消。")),
}
PROGRESS_PARTS = (
    ("delivered", "bg-success"),
    ("sent", "bg-info"),
    ("sending", "bg-primary"),
    ("failed", "bg-danger"),
    ("bounced", "bg-danger"),
    ("skipped", "bg-secondary"),
    ("cancelled", "bg-dark"),
)


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
@require_GET
def campaign_list_view(request):
    qs = campaign_list(user=request.user)
    state = request.GET.get("state", "")
    if state in Campaign.State.values:
        qs = qs.filter(state=state)
    if request.GET.get("kind") == "journey":
        qs = qs.filter(journey__isnull=False)
    elif request.GET.get("kind") != "all":
        qs = qs.filter(journey__isnull=True)
    # the cockpit's "活动增量" drills down here: the campaigns of a unit whose measurement window ended in a period
    unit = request.GET.get("unit", "")
    if unit.isdigit():
        qs = qs.filter(org_unit__path__contains=f"/{int(unit)}/")
    measured = [parse_date(request.GET.get(k) or "") for k in ("measured_from", "measured_to")]
    if all(measured):
        qs = qs.filter(uplift__window_end__range=measured)
    page = Paginator(qs.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = campaign_card_counts(campaign_ids=[c.pk for c in page.object_list], user=request.user)
    for campaign in page.object_list:
        campaign.card_counts = counts.get(campaign.pk)
        campaign.uplift_shown = campaign_uplift_shown(campaign=campaign, user=request.user)
    extra = {k: request.GET[k] for k in ("unit", "measured_from", "measured_to") if request.GET.get(k)}
    context = {
        "page": page,
        "state": state,
        "kind": request.GET.get("kind", ""),
        "states": Campaign.State.choices,
        "may_create": campaign_may_edit(user=request.user),
        "measured": measured if all(measured) else None,
        "extra_query": urlencode(extra),
        "extra_fields": list(extra.items()),
    }
    return render(request, "campaigns/campaign_list.html", context)


def _progress(counts: dict) -> dict:
    states = counts["states"]
    base = counts["total"] - states["holdout"]
    parts = []
    for state, css in PROGRESS_PARTS:
        if states[state] and base:
            parts.append(
                {"state": state, "css": css, "n": states[state], "pct": round(100 * states[state] / base, 2)}
            )
    return {
        "base": base,
        "parts": parts,
        "queued": states["queued"],
        "done_pct": round(100 * (base - states["queued"] - states["sending"]) / base) if base else 0,
    }


def _detail_context(request, campaign):
    counts = campaign_counts(campaign=campaign, user=request.user)
    whole = campaign_seen_whole(user=request.user, campaign=campaign)
    conversion = campaign_conversion(campaign=campaign) if whole else None
    labels = dict(Campaign.State.choices)
    from campaigns.models import Delivery

    delivery_labels = dict(Delivery.State.choices)
    states = counts["states"]
    funnel = {
        "labels": [str(delivery_labels[s]) for s in ("sent", "delivered", "failed", "skipped", "holdout")],
        "values": [
            counts["sent_total"],
            states["delivered"],
            states["failed"] + states["bounced"],
            states["skipped"],
            states["holdout"],
        ],
    }
    conversion_chart, uplift = None, None
    if conversion and conversion.measured and conversion.uplift is not None:
        low, high = conversion.uplift_ci
        conversion_chart = {
            "labels": [_("发送组"), _("对照组")],
            "values": [round(100 * conversion.treated_rate, 2), round(100 * conversion.holdout_rate, 2)],
            "unit": "%",
        }
        uplift = {
            "value": _("%(value)+.1f 个百分点") % {"value": 100 * conversion.uplift},
            "low": f"{100 * low:+.1f}",
            "high": f"{100 * high:+.1f}",
        }
    return {
        "campaign": campaign,
        "uplift_shown": campaign_uplift_shown(campaign=campaign, user=request.user),
        "counts": counts,
        "progress": _progress(counts),
        "whole": whole,
        "conversion": conversion,
        "funnel_chart": json.dumps(funnel, ensure_ascii=False),
        "conversion_chart": json.dumps(conversion_chart, ensure_ascii=False) if conversion_chart else "",
        "uplift": uplift,
        "state_label": labels[campaign.state],
        "may_edit": campaign_may_edit(user=request.user, campaign=campaign),
        "may_approve": campaign_may_approve(user=request.user, campaign=campaign),
        "reasons": dict(Delivery.Reason.choices),
        "occurrences": campaign.occurrences.order_by("-created_at")[:10]
        if campaign.schedule_kind == "cron"
        else [],
    }


@login_required
@permission_required("campaigns.view_campaign", raise_exception=True)
@require_GET
def campaign_detail_view(request, pk):
    campaign = campaign_get(user=request.user, campaign_id=pk)
    context = _detail_context(request, campaign)
    template = "includes/campaign_progress.html" if request.htmx else "campaigns/campaign_detail.html"
    return render(request, template, context)


@login_required
@permission_required("campaigns.add_campaign", raise_exception=True)
@require_http_methods(["GET", "POST"])
def campaign_create_view(request):
    form = CampaignForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                actor=request.user,
                data=form.service_data(),
                promoted_products=form.cleaned_data["promoted_products"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("活动草稿已保存，请另一位主管审批。"))
            return redirect(campaign)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": None},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("campaigns.change_campaign", raise_exception=True)
@require_http_methods(["GET", "POST"])
def campaign_update_view(request, pk):
    campaign = campaign_get(user=request.user, campaign_id=pk)
    if not campaign_may_edit(user=request.user, campaign=campaign):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_update(
                actor=request.user,
                campaign=campaign,
                data=form.service_data(),
                promoted_products=form.cleaned_data["promoted_products"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return redirect(campaign)
        else:
            messages.success(request, _("已保存。"))
            return redirect(campaign)
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "campaign": campaign},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def campaign_action_view(request, pk, action):
    if action not in ACTIONS:
        return redirect("campaigns:campaign-list")
    campaign = campaign_get(user=request.user, campaign_id=pk)
    service, done = ACTIONS[action]
    try:
        service(actor=request.user, campaign=campaign)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("您没有此操作的权限。"))
    except (ConflictError, ValidationError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect(campaign)
