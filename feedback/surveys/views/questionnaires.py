"""The questionnaire builder pages: the list (and a new draft), one questionnaire with its areas and items, and
the actions on a draft (add or delete an area or an item, publish) or on a published one (a new version)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import ConflictError, error_text, form_errors_add
from feedback.surveys import selectors
from feedback.surveys.forms import AreaForm, ItemForm, QuestionnaireForm
from feedback.surveys.models import QuestionArea, QuestionItem
from feedback.surveys.services import questionnaires


# ---- questionnaire builder ----------------------------------------------------------------------------------------
@login_required
@permission_required("feedback.view_questionnaire", raise_exception=True)
@require_http_methods(["GET", "POST"])
def questionnaire_list_view(request):
    form = QuestionnaireForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm("feedback.add_questionnaire"):
            raise PermissionDenied
        if form.is_valid():
            try:
                questionnaire = questionnaires.questionnaire_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_errors_add(form, exc)
            else:
                return redirect("feedback:questionnaire-detail", pk=questionnaire.pk)
    return render(
        request,
        "feedback/survey_questionnaire_list.html",
        {
            "questionnaires": selectors.questionnaire_list().annotate(
                survey_count=Count("surveys", distinct=True)
            ),
            "form": form,
            "may_edit": request.user.has_perm("feedback.add_questionnaire"),
        },
    )


@login_required
@permission_required("feedback.view_questionnaire", raise_exception=True)
@require_GET
def questionnaire_detail_view(request, pk):
    questionnaire = selectors.questionnaire_get(questionnaire_id=pk)
    editable = not questionnaire.is_frozen and request.user.has_perm("feedback.change_questionnaire")
    areas = selectors.questionnaire_areas_with_items(questionnaire=questionnaire)
    for area in areas:
        area.scored = any(item.kind in QuestionItem.SCORED for item in area.items.all())
    return render(
        request,
        "feedback/survey_questionnaire.html",
        {
            "questionnaire": questionnaire,
            "areas": areas,
            "editable": editable,
            "may_edit": request.user.has_perm("feedback.add_questionnaire"),
            "area_form": AreaForm(),
            "item_form": ItemForm(initial={"kind": QuestionItem.Kind.SCALE5, "required": True}),
            "total_weight": sum(a.weight for a in areas if a.scored),
        },
    )


def _posted_id(request, name: str) -> int:
    """A posted row id; anything but a positive number answers 404 like a missing row."""
    value = request.POST.get(name, "")
    if not (value.isdigit() and 0 < int(value) < 2**63):
        raise Http404
    return int(value)


@login_required
@permission_required("feedback.change_questionnaire", raise_exception=True)
@require_POST
def questionnaire_action_view(request, pk, action):
    questionnaire = selectors.questionnaire_get(questionnaire_id=pk)
    target = questionnaire
    try:
        if action == "publish":
            questionnaires.questionnaire_publish(actor=request.user, questionnaire=questionnaire)
            messages.success(request, _("问卷已发布，此后不能再修改。"))
        elif action == "new-version":
            target = questionnaires.questionnaire_new_version(actor=request.user, questionnaire=questionnaire)
            messages.success(
                request, _("已生成新版本 v%(v)s（草稿），可以修改后发布。") % {"v": target.version}
            )
        elif action == "add-area":
            form = AreaForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写领域名称和权重（1–100）。"))
            questionnaires.question_area_save(
                actor=request.user, questionnaire=questionnaire, **form.cleaned_data
            )
        elif action == "add-item":
            area = get_object_or_404(
                QuestionArea, pk=_posted_id(request, "area"), questionnaire=questionnaire
            )
            form = ItemForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请填写题目和题型。"))
            questionnaires.question_item_save(
                actor=request.user,
                area=area,
                text=form.cleaned_data["text"],
                kind=form.cleaned_data["kind"],
                required=form.cleaned_data["required"],
                choices=form.choices(),
            )
        elif action == "delete-item":
            item = get_object_or_404(
                QuestionItem, pk=_posted_id(request, "item"), area__questionnaire=questionnaire
            )
            questionnaires.question_item_delete(actor=request.user, item=item)
        elif action == "delete-area":
            area = get_object_or_404(
                QuestionArea, pk=_posted_id(request, "area"), questionnaire=questionnaire
            )
            questionnaires.question_area_delete(actor=request.user, area=area)
        else:
            raise Http404
    except (ValidationError, ConflictError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
    return redirect("feedback:questionnaire-detail", pk=target.pk)
