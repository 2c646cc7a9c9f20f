"""Staff pages of the survey side: surveys (list, new, detail with the strata table and progress, actions,
export), the report with charts, and the questionnaire builder. Views parse input, call one service or
selector, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import retailer_get
from core.errors import ConflictError, error_text, form_errors_add
from core.replica import reads_from_replica
from core.spreadsheet import csv_stream_response
from feedback.portal import services as portal_services
from feedback.portal.selectors import portal_link_last_send
from feedback.surveys import indices as survey_indices
from feedback.surveys import selectors
from feedback.surveys.forms import InviteForm, SurveyForm
from feedback.surveys.models import Survey, SurveyResponse
from feedback.surveys.services import surveys as services

RECENT_RESPONSES = 20


# ---- surveys -------------------------------------------------------------------------------------------------------
@login_required
@permission_required("feedback.view_survey", raise_exception=True)
@require_GET
def survey_list_view(request):
    state = request.GET.get("state", "")
    if state not in Survey.State.values:
        state = ""
    periods = list(selectors.survey_periods(user=request.user))
    period = request.GET.get("period", "")
    if period not in periods:
        period = ""
    surveys = list(selectors.survey_list(user=request.user, filters={"state": state, "period": period})[:100])
    rates = selectors.response_rates(
        user=request.user,
        surveys=selectors.survey_list(user=request.user).filter(pk__in=[s.pk for s in surveys]),
    )
    return render(
        request,
        "feedback/survey_list.html",
        {
            "rows": [(s, rates.get(s.pk, {})) for s in surveys],
            "state": state,
            "states": Survey.State.choices,
            "period": period,
            "periods": periods,
            "may_run": services.survey_may_run(user=request.user),
        },
    )


@login_required
@permission_required("feedback.run_survey", raise_exception=True)
@require_http_methods(["GET", "POST"])
def survey_create_view(request):
    form = SurveyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            survey = services.survey_create(
                actor=request.user,
                name=data["name"],
                questionnaire=data["questionnaire"],
                period=data["period"],
                org_unit=data["org_unit"],
                segment=data["segment"],
                allocation=data["allocation"],
                sample_size=data.get("sample_size") or 0,
                min_per_stratum=data.get("min_per_stratum") or 0,
                per_stratum=data.get("per_stratum") or 0,
                seed=data["seed"],
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("调查已创建。请核对下方的分层抽样表，再确认抽样。"))
            return redirect("feedback:survey-detail", pk=survey.pk)
    return render(request, "feedback/survey_form.html", {"form": form})


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
@require_GET
def survey_detail_view(request, pk):
    survey = selectors.survey_get(user=request.user, survey_id=pk)
    may_run = services.survey_may_run(user=request.user, survey=survey)
    plan = (
        services.survey_strata_plan(survey=survey) if survey.state == Survey.State.DRAFT and may_run else None
    )
    progress = selectors.survey_progress(user=request.user, survey=survey)
    indices = survey_indices.survey_indices(user=request.user, survey=survey)
    return render(
        request,
        "feedback/survey_detail.html",
        {
            "survey": survey,
            "may_run": may_run,
            "plan": plan,
            "plan_total": sum(p.sample_size for p in plan) if plan else 0,
            "plan_population": sum(p.population for p in plan) if plan else 0,
            "progress": progress,
            "indices": indices,
            "invite_form": InviteForm(survey=survey)
            if may_run and survey.state == Survey.State.SAMPLED
            else None,
            "responses": selectors.response_list(user=request.user, survey=survey)
            .select_related("retailer__route__manager")
            .order_by("-submitted_at", "-id")[:RECENT_RESPONSES],
            "may_export": request.user.has_perm("feedback.export_survey"),
        },
    )


ACTIONS = {"draw", "invite", "remind", "close"}


@login_required
@permission_required("feedback.run_survey", raise_exception=True)
@require_POST
def survey_action_view(request, pk, action):
    if action not in ACTIONS:
        raise Http404
    survey = selectors.survey_get(user=request.user, survey_id=pk)
    try:
        if action == "draw":
            strata = services.survey_sample_draw(actor=request.user, survey=survey)
            messages.success(
                request,
                _("已抽样：%(n)s 个分层，共 %(total)s 户。")
                % {"n": len(strata), "total": sum(s.sample_size for s in strata)},
            )
        elif action == "invite":
            form = InviteForm(request.POST, survey=survey)
            if not form.is_valid():
                raise ValidationError(_("请选择一个已审批的邀请活动。"))
            occurrence = services.survey_invite(
                actor=request.user, survey=survey, campaign=form.cleaned_data["campaign"]
            )
            messages.success(request, _("邀请已进入发送队列：%(n)s 户。") % {"n": occurrence.recipient_count})
        elif action == "remind":
            occurrence = services.survey_remind(actor=request.user, survey=survey)
            messages.success(
                request, _("提醒已进入发送队列：%(n)s 户未答卷的客户。") % {"n": occurrence.recipient_count}
            )
        else:
            services.survey_close(actor=request.user, survey=survey)
            messages.success(request, _("调查已结束，不再接受答卷。"))
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("feedback:survey-detail", pk=survey.pk)


@login_required
@permission_required("feedback.export_survey", raise_exception=True)
@require_GET
@reads_from_replica
def survey_export_view(request, pk):
    """CSV (UTF-8 with BOM for Excel) of the answers the user may see; every export is logged with its row count."""
    survey = selectors.survey_get(user=request.user, survey_id=pk)
    export = services.survey_export_log(user=request.user, survey=survey)
    rows = iter(selectors.survey_export_rows(user=request.user, survey=survey))
    header = next(rows)

    def counted():
        count = 0
        for row in rows:
            count += 1
            yield row
        services.survey_export_count_set(export=export, row_count=count)

    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return csv_stream_response(header, counted(), filename=f"survey-{survey.pk}-{stamp}.csv")


@login_required
@permission_required("feedback.view_surveyresponse", raise_exception=True)
@require_GET
def survey_responses_view(request, pk):
    survey = selectors.survey_get(user=request.user, survey_id=pk)
    before = request.GET.get("before", "")
    low_only = request.GET.get("low") == "1"
    rows, next_before = selectors.response_page(
        user=request.user, survey=survey, before=int(before) if before.isdigit() else None, low_only=low_only
    )
    return render(
        request,
        "feedback/survey_responses.html",
        {
            "survey": survey,
            "rows": rows,
            "next_before": next_before,
            "low_only": low_only,
            "low": SurveyResponse.LOW_SCORE,
        },
    )


@login_required
@permission_required("feedback.view_surveyresponse", raise_exception=True)
@require_GET
def response_detail_view(request, pk):
    response = selectors.response_get(user=request.user, response_id=pk)
    answers = {a.item_id: a for a in response.answers.all()}
    scores = {s.area_id: s.score for s in response.area_scores.all()}
    areas = selectors.questionnaire_areas_with_items(questionnaire=response.survey.questionnaire)
    return render(
        request,
        "feedback/survey_response.html",
        {
            "response": response,
            "sections": [
                {
                    "area": a,
                    "score": scores.get(a.pk),
                    "items": [(i, answers.get(i.pk)) for i in a.items.all()],
                }
                for a in areas
            ],
        },
    )


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
@require_GET
@reads_from_replica
def survey_report_view(request):
    by_unit = survey_indices.index_trend(user=request.user, by="org_unit")
    by_manager = survey_indices.index_trend(user=request.user, by="manager")
    return render(
        request,
        "feedback/survey_report.html",
        {
            "figures": {
                "total": survey_indices.index_trend(user=request.user),
                "areas": survey_indices.area_trend(user=request.user),
                "units": by_unit,
                "managers": by_manager,
            },
            "unit_rows": _pivot(by_unit),
            "manager_rows": _pivot(by_manager),
        },
    )


def _pivot(rows: list[dict]) -> dict:
    """Rows per unit / manager, columns per quarter; the lowest index of the latest quarter first (who needs
    attention), those without an answer that quarter last."""
    periods = sorted({r["period"] for r in rows})
    table: dict = {}
    for r in rows:
        table.setdefault((r["label"], r.get("key")), {})[r["period"]] = r
    latest = periods[-1] if periods else None

    def order(kv):
        cell = kv[1].get(latest)
        return (
            cell is None or cell["index"] is None,
            cell["index"] if cell and cell["index"] is not None else 0,
            str(kv[0][0]),
        )

    return {
        "periods": periods,
        "rows": [
            {"label": label, "cells": [cells.get(p) for p in periods]}
            for (label, _key), cells in sorted(table.items(), key=order)
        ],
    }


# ---- the retailer portrait's panel -------------------------------------------------------------------------------
def _service_panel(request, retailer, *, message: str = "", ok: bool = True, status: int = 200):
    last = portal_link_last_send(retailer=retailer)
    return render(
        request,
        "includes/retailer_service.html",
        {
            "retailer": retailer,
            "last_send": last,
            "message": message,
            "ok": ok,
            "responses": selectors.retailer_survey_history(user=request.user, retailer_id=retailer.pk),
        },
        status=status,
    )


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
@require_GET
def retailer_service_panel_view(request, pk):
    """The retailer's survey answers, and the action that texts its own-page link to the shop's phone (staff
    never see the link: it opens the retailer's complaints)."""
    return _service_panel(request, retailer_get(user=request.user, retailer_id=pk))


@login_required
@permission_required("feedback.view_survey", raise_exception=True)
@require_POST
def retailer_portal_link_send_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    try:
        sent = portal_services.portal_link_send(actor=request.user, retailer=retailer)
    except (ValidationError, ConflictError) as exc:
        return _service_panel(request, retailer, message=error_text(exc), ok=False, status=409)
    if not sent.accepted:
        message = _("短信未能发出（%(error)s），请稍后再试。") % {"error": sent.error}
        return _service_panel(request, retailer, message=message, ok=False, status=502)
    message = _("服务页链接已发送至店主手机 %(number)s。") % {"number": sent.to_number}
    return _service_panel(request, retailer, message=message)
