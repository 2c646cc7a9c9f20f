"""Allocation pages: plan list, editor, detail with the preview and publish, history, fill rate, excess report,
and the portrait panel. Views parse input and call one service or selector."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import retailer_get
from accounts.sensitive import retailer_export_log
from core.errors import ConflictError
from core.spreadsheet import csv_response
from sales.allocation import selectors, services
from sales.allocation.forms import DEFAULT_BANDS, date_param, grid_from_rules, rules_from_post
from sales.allocation.models import AllocationPlan
from sales.models import Product
from users.models import OrgUnit

PAGE = 50


def _units_for(user):
    units = OrgUnit.objects.all()
    if not user.is_company_admin:
        units = units.filter(path__startswith=user.org_unit.path) if user.org_unit_id else units.none()
    return units.order_by("path")


def _error_list(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [m for messages_ in error.message_dict.values() for m in messages_]
    return list(error.messages)


@login_required
@permission_required("sales.view_allocationplan", raise_exception=True)
@require_GET
def plan_list_view(request):
    filters = {
        "state": request.GET.get("state", ""),
        "product": request.GET.get("product", "") if request.GET.get("product", "").isdigit() else "",
        "cycle": date_param(request.GET.get("cycle")),
    }
    qs = selectors.allocation_plan_list(user=request.user, filters=filters).order_by("-id")
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs[: PAGE + 1])
    return render(
        request,
        "sales/allocationplan_list.html",
        {
            "plans": rows[:PAGE],
            "next_before": rows[PAGE - 1].pk if len(rows) > PAGE else None,
            "filters": filters,
            "states": AllocationPlan.State.choices,
            "products": Product.objects.filter(is_scarce=True).order_by("brand", "name"),
            "may_plan": request.user.has_perm("sales.add_allocationplan"),
            "this_cycle": selectors.coming_cycle_day(timezone.localdate() - datetime.timedelta(days=6)),
        },
    )


def _editor(request, *, plan=None, data=None, errors=None, status=200):
    today = timezone.localdate()
    next_monday = today + datetime.timedelta(days=7 - today.weekday())
    if data is None:
        if plan is not None:
            data = {
                "supply_cartons": plan.supply_cartons,
                "notes": plan.notes,
                "grid": grid_from_rules(plan.rules.values("tier_from", "tier_to", "market_type", "cartons")),
            }
        else:
            data = {
                "cycle_start": next_monday.isoformat(),
                "grid": grid_from_rules(
                    [
                        {"tier_from": a, "tier_to": b, "market_type": m, "cartons": ""}
                        for a, b in DEFAULT_BANDS
                        for m in "CX"
                    ]
                ),
            }
    return render(
        request,
        "sales/allocationplan_form.html",
        {
            "plan": plan,
            "data": data,
            "errors": errors or [],
            "products": Product.objects.filter(is_scarce=True)
            .exclude(status="withdrawn")
            .order_by("brand", "name"),
            "units": _units_for(request.user),
        },
        status=status,
    )


@login_required
@permission_required("sales.add_allocationplan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def plan_create_view(request):
    if request.method == "GET":
        return _editor(request)
    post = request.POST
    rules = rules_from_post(post)
    data = {
        "product": post.get("product", ""),
        "org_unit": post.get("org_unit", ""),
        "cycle_start": post.get("cycle_start", ""),
        "cycle_end": post.get("cycle_end", ""),
        "supply_cartons": post.get("supply_cartons", ""),
        "notes": post.get("notes", ""),
        "grid": grid_from_rules(
            [r for r in rules if str(r["tier_from"]).isdigit() and str(r["tier_to"]).isdigit()]
        ),
    }
    try:
        cycle_start = date_param(data["cycle_start"])
        if cycle_start is None:
            raise ValidationError({"cycle_start": _("请填写周期开始日期。")})
        plan = services.allocation_plan_create(
            actor=request.user,
            product_id=int(data["product"]) if data["product"].isdigit() else 0,
            org_unit_id=int(data["org_unit"]) if data["org_unit"].isdigit() else 0,
            cycle_start=cycle_start,
            cycle_end=date_param(data["cycle_end"]),
            supply_cartons=int(data["supply_cartons"])
            if data["supply_cartons"].lstrip("-").isdigit()
            else -1,
            rules=rules,
            notes=data["notes"].strip()[:200],
        )
    except ValidationError as error:
        return _editor(request, data=data, errors=_error_list(error), status=400)
    messages.success(request, _("已保存草稿，请核对预览后发布。"))
    return redirect(plan)


@login_required
@permission_required("sales.change_allocationplan", raise_exception=True)
@require_http_methods(["GET", "POST"])
def plan_edit_view(request, pk):
    plan = selectors.allocation_plan_get(user=request.user, plan_id=pk)
    if plan.is_locked:
        messages.error(request, _("方案已发布并锁定，如需调整请创建新版本。"))
        return redirect(plan)
    if request.method == "GET":
        return _editor(request, plan=plan)
    rules = rules_from_post(request.POST)
    supply = request.POST.get("supply_cartons", "")
    data = {
        "supply_cartons": supply,
        "notes": request.POST.get("notes", ""),
        "grid": grid_from_rules(
            [r for r in rules if str(r["tier_from"]).isdigit() and str(r["tier_to"]).isdigit()]
        ),
    }
    try:
        services.allocation_plan_update(
            actor=request.user,
            plan=plan,
            supply_cartons=int(supply) if supply.lstrip("-").isdigit() else -1,
            rules=rules,
            notes=data["notes"].strip()[:200],
        )
    except ValidationError as error:
        return _editor(request, plan=plan, data=data, errors=_error_list(error), status=400)
    except ConflictError as error:
        messages.error(request, str(error))
    return redirect(plan)


@login_required
@permission_required("sales.view_allocationplan", raise_exception=True)
@require_GET
def plan_detail_view(request, pk):
    plan = selectors.allocation_plan_get(user=request.user, plan_id=pk)
    return render(
        request,
        "sales/allocationplan_detail.html",
        {
            "plan": plan,
            "preview": selectors.allocation_preview(plan=plan),
            "drift": selectors.allocation_plan_drift(plan=plan),
            "history": selectors.allocation_plan_history(plan=plan),
            "may_edit": request.user.has_perm("sales.change_allocationplan") and not plan.is_locked,
            "may_publish": services.user_may_publish(user=request.user) and not plan.is_locked,
            "may_version": request.user.has_perm("sales.add_allocationplan")
            and plan.state == AllocationPlan.State.PUBLISHED,
            "per": selectors.cycle_unit(plan),
        },
    )


@login_required
@permission_required("sales.publish_allocationplan", raise_exception=True)
@require_POST
def plan_publish_view(request, pk):
    plan = selectors.allocation_plan_get(user=request.user, plan_id=pk)
    try:
        services.allocation_plan_publish(
            actor=request.user, plan=plan, override_reason=request.POST.get("override_reason", "")
        )
        messages.success(request, _("方案已发布，额度即刻生效。"))
    except (ValidationError, ConflictError, PermissionDenied) as error:
        text = "；".join(_error_list(error)) if isinstance(error, ValidationError) else str(error)
        messages.error(request, text or _("您没有此操作的权限。"))
    return redirect(plan)


@login_required
@permission_required("sales.add_allocationplan", raise_exception=True)
@require_POST
def plan_new_version_view(request, pk):
    plan = selectors.allocation_plan_get(user=request.user, plan_id=pk)
    try:
        draft = services.allocation_plan_new_version(actor=request.user, plan=plan)
    except (ValidationError, ConflictError, PermissionDenied) as error:
        messages.error(
            request, "；".join(_error_list(error)) if isinstance(error, ValidationError) else str(error)
        )
        return redirect(plan)
    messages.success(request, _("已创建新版本草稿，发布后替代当前版本。"))
    return redirect("sales:allocation-edit", draft.pk)


def _cycle_day(request) -> datetime.date:
    """The day whose cycle a report shows: asked for, or a week ago (the last cycle whose orders are in)."""
    return date_param(request.GET.get("cycle"), default=timezone.localdate() - datetime.timedelta(days=7))


@login_required
@permission_required("sales.view_allocationplan", raise_exception=True)
@require_GET
def fill_rate_view(request):
    day = _cycle_day(request)
    report = selectors.allocation_fill_rate(user=request.user, day=day)
    if request.GET.get("format") == "csv":
        if not request.user.has_perm("accounts.export_retailer"):
            raise PermissionDenied
        rows = report["rows"]
        retailer_export_log(
            user=request.user,
            filters={"report": "allocation_fill_rate", "cycle": day.isoformat()},
            row_count=len(rows),
            unmasked=False,
        )
        return csv_response(
            [
                _("品规"),
                _("档位"),
                _("客户数"),
                _("额度(条)"),
                _("订购(条)"),
                _("额度内(条)"),
                _("超出(条)"),
                _("满足率%"),
            ],
            (
                [
                    r["product"],
                    r["tier"] or "",
                    r["retailers"],
                    r["allowed"],
                    r["ordered"],
                    r["filled"],
                    r["excess"],
                    r["rate"] if r["rate"] is not None else "",
                ]
                for r in rows
            ),
            filename=f"fill-rate-{day.isoformat()}.csv",
        )
    shown = [r for r in report["rows"] if r["allowed"] or r["ordered"]]
    chart = {}
    for r in shown:
        if r["tier"] is not None and r["allowed"]:
            chart.setdefault(r["product"], []).append({"tier": r["tier"], "rate": r["rate"]})
    return render(
        request,
        "sales/fill_rate.html",
        {
            "day": day,
            "report": report,
            "rows": shown,
            "hidden": len(report["rows"]) - len(shown),
            "chart": chart,
            "may_export": request.user.has_perm("accounts.export_retailer"),
        },
    )


@login_required
@permission_required("sales.view_allocationexcess", raise_exception=True)
@require_GET
def excess_list_view(request):
    day = date_param(request.GET.get("cycle"))
    qs = selectors.allocation_excess_list(user=request.user, filters={"cycle": day}).order_by("-id")
    if request.GET.get("format") == "csv":
        if not request.user.has_perm("accounts.export_retailer"):
            raise PermissionDenied
        rows = list(qs[:50_000])
        retailer_export_log(
            user=request.user,
            filters={"report": "allocation_excess", "cycle": day.isoformat() if day else ""},
            row_count=len(rows),
            unmasked=False,
        )
        return csv_response(
            [
                _("订货日期"),
                _("订单号"),
                _("客户编码"),
                _("店铺"),
                _("品规"),
                _("额度"),
                _("周期累计"),
                _("超出"),
            ],
            (
                [
                    e.ordered_on,
                    e.order_line.order.order_no,
                    e.retailer.customer_code,
                    e.retailer.shop_name,
                    e.plan.product.name,
                    e.allowance,
                    e.ordered_to_date,
                    e.excess_cartons,
                ]
                for e in rows
            ),
            filename="allocation-excess.csv",
        )
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs[: PAGE + 1])
    return render(
        request,
        "sales/allocationexcess_list.html",
        {
            "rows": rows[:PAGE],
            "next_before": rows[PAGE - 1].pk if len(rows) > PAGE else None,
            "day": day,
            "may_export": request.user.has_perm("accounts.export_retailer"),
        },
    )


@login_required
@require_GET
def retailer_allowance_view(request, pk):
    """The portrait panel: this cycle's and the coming cycle's allowances, why, and recent excess."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    if not request.user.has_perm("sales.view_allocationplan"):
        raise PermissionDenied
    today = timezone.localdate()
    coming = selectors.coming_cycle_day(today + datetime.timedelta(days=1))
    current = selectors.retailer_allowances(retailer_ids=[retailer.pk], day=today)[retailer.pk]
    upcoming = selectors.retailer_allowances(retailer_ids=[retailer.pk], day=coming)[retailer.pk]
    excess = list(selectors.allocation_excess_list(user=request.user, filters={"retailer": retailer.pk})[:5])
    return render(
        request,
        "includes/retailer_allowance.html",
        {"retailer": retailer, "current": current, "upcoming": upcoming, "coming": coming, "excess": excess},
    )
