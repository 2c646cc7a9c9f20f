"""Saved-segment pages: the list, the rule builder (new and edit) with its live count and preview, the segment's
page with its rules in words and its members, and archiving. Server-rendered; the builder redraws itself through
htmx (segments.forms describes its form)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import retailer_page
from core.errors import ConflictError
from segmentation.segments.forms import (
    SegmentForm,
    builder_apply,
    builder_defaults,
    builder_rows,
    definition_from_post,
    errors_by_path,
    field_groups,
    new_definition,
    rule_paths,
    structure_changed,
)
from segmentation.segments.rules import definition_describe, definition_validate, rule_errors
from segmentation.segments.selectors import (
    PREVIEW_COUNT_CAP,
    segment_get,
    segment_list,
    segment_member_count,
    segment_members_for_user,
    segment_preview,
    segment_units_usable,
)
from segmentation.segments.services import (
    segment_archive,
    segment_create,
    segment_may_change,
    segment_may_create,
    segment_update,
)

VIEW = "segmentation.view_segment"
LIST_SIZE = 200
MEMBER_PAGE_SIZE = 50


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _count_text(count: int, capped: bool) -> str:
    if capped:
        return _("超过 %(n)s 家") % {"n": f"{count:,}"}
    return _("共 %(n)s 家") % {"n": f"{count:,}"}


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def segment_list_view(request):
    units = segment_units_usable(user=request.user)
    unit = units.filter(pk=_int_or_none(request.GET.get("org_unit"))).first()
    query = request.GET.get("q", "").replace("\x00", "").strip()  # PostgreSQL text cannot hold NUL
    archived = request.GET.get("archived") == "1"
    segments = list(
        segment_list(user=request.user, filters={"q": query, "org_unit": unit, "archived": archived})[
            :LIST_SIZE
        ]
    )
    for segment in segments:
        segment.rules_text = definition_describe(segment.definition)
    context = {
        "segments": segments,
        "units": units,
        "unit": unit,
        "q": query,
        "archived": archived,
        "may_create": segment_may_create(user=request.user),
    }
    template = "includes/segment_list_results.html" if request.htmx else "segmentation/segment_list.html"
    return render(request, template, context)


def _builder_context(request, *, form, definition, errors=None, segment=None):
    root = builder_rows(definition, user=request.user, errors=errors or {})
    return {
        "form": form,
        "segment": segment,
        "root": root,
        "field_groups": field_groups(),
        "root_errors": (errors or {}).get("", []),
    }


def _render_builder(request, *, form, definition, segment=None, errors=None, status=200):
    context = _builder_context(request, form=form, definition=definition, errors=errors, segment=segment)
    return render(request, "segmentation/segment_form.html", context, status=status)


def _save(request, *, segment=None):
    """Create or update from the builder form; the page again with every error next to its field or rule, or a
    redirect to the segment."""
    form = SegmentForm(request.POST, user=request.user, segment=segment)
    definition = builder_defaults(definition_from_post(request.POST))
    errors: dict[str, list[str]] = {}
    if not form.is_valid():
        try:
            definition_validate(definition, user=request.user)
        except ValidationError as exc:
            errors = errors_by_path(rule_errors(exc))
        return _render_builder(
            request, form=form, definition=definition, segment=segment, errors=errors, status=400
        )
    try:
        if segment is None:
            saved = segment_create(user=request.user, definition=definition, **form.cleaned_data)
        else:
            saved = segment_update(
                user=request.user, segment=segment, definition=definition, **form.cleaned_data
            )
    except ValidationError as exc:
        for name, items in exc.error_dict.items():
            if name == "definition":
                errors = errors_by_path(rule_errors(ValidationError(items)))
            else:
                for item in items:
                    form.add_error(name if name in form.fields else None, item)
        return _render_builder(
            request, form=form, definition=definition, segment=segment, errors=errors, status=400
        )
    messages.success(request, _("已保存分群“%(name)s”。") % {"name": saved.name})
    return redirect(saved)


@login_required
@require_http_methods(["GET", "POST"])
def segment_create_view(request):
    if not segment_may_create(user=request.user):
        raise PermissionDenied
    if request.method == "POST":
        return _save(request)
    form = SegmentForm(user=request.user)
    return _render_builder(request, form=form, definition=new_definition())


@login_required
@require_http_methods(["GET", "POST"])
def segment_update_view(request, pk):
    segment = segment_get(user=request.user, segment_id=pk)
    if not segment_may_change(user=request.user, segment=segment) or segment.is_archived:
        raise PermissionDenied
    if request.method == "POST":
        return _save(request, segment=segment)
    form = SegmentForm(user=request.user, segment=segment)
    return _render_builder(request, form=form, definition=segment.definition, segment=segment)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_POST
def segment_builder_view(request):
    """The builder's live endpoint. A button (add/remove a rule or group) or a changed field or operator redraws
    the whole builder with the preview beside it; any other change redraws only the preview, with each rule's
    errors swapped into its slot."""
    definition = definition_from_post(request.POST)
    action = request.POST.get("action", "")
    redraw = bool(action) or structure_changed(definition)
    if action:
        definition = builder_apply(definition, action)
    definition = builder_defaults(definition)
    unit = (
        segment_units_usable(user=request.user).filter(pk=_int_or_none(request.POST.get("org_unit"))).first()
    )
    preview, errors = None, {}
    try:
        preview = segment_preview(user=request.user, definition=definition, org_unit=unit)
    except ValidationError as exc:
        if "definition" in exc.error_dict:
            errors = errors_by_path(rule_errors(ValidationError(exc.error_dict["definition"])))
        else:
            errors = {"": exc.messages}
    root = builder_rows(definition, user=request.user, errors=errors)
    context = {
        "root": root,
        "field_groups": field_groups(),
        "preview": preview,
        "count_text": _count_text(preview.count, preview.capped) if preview else "",
        "rules_text": definition_describe(definition) if preview else "",
        "root_errors": errors.get("", []),
        "error_slots": [(path.replace(".", "-"), errors.get(path, [])) for path in rule_paths(root)],
        "cap": PREVIEW_COUNT_CAP,
    }
    if redraw:
        response = render(request, "includes/segment_builder.html", {**context, "with_preview": True})
        response["HX-Retarget"] = "#segment-builder"
        response["HX-Reswap"] = "outerHTML"
        return response
    return render(request, "includes/segment_preview.html", {**context, "oob_errors": True})


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def segment_detail_view(request, pk):
    segment = segment_get(user=request.user, segment_id=pk)
    members = segment_members_for_user(user=request.user, segment=segment).select_related("route__manager")
    page = retailer_page(
        members,
        after=_int_or_none(request.GET.get("after")),
        before=_int_or_none(request.GET.get("before")),
        size=MEMBER_PAGE_SIZE,
    )
    context = {
        "segment": segment,
        "rules_text": definition_describe(segment.definition),
        "page": page,
        "may_change": segment_may_change(user=request.user, segment=segment) and not segment.is_archived,
    }
    template = "includes/segment_members.html" if request.htmx else "segmentation/segment_detail.html"
    return render(request, template, context)


@login_required
@permission_required(VIEW, raise_exception=True)
@require_GET
def segment_count_view(request, pk):
    """The member count, on demand (a capped count: at most one query over the segment)."""
    segment = segment_get(user=request.user, segment_id=pk)
    count, capped = segment_member_count(user=request.user, segment=segment)
    return HttpResponse(_count_text(count, capped))


@login_required
@require_POST
def segment_archive_view(request, pk):
    segment = segment_get(user=request.user, segment_id=pk)
    try:
        segment_archive(user=request.user, segment=segment)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(segment)
    messages.success(request, _("已归档分群“%(name)s”。") % {"name": segment.name})
    return redirect("segmentation:segment-list")
