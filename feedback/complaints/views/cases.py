"""Staff complaint pages: the list (filters, keyset pages), the intake form (phone, 12313, visit, platform), the
case page with its actions by state, the panel on the retailer portrait. Views parse input, call one service or
selector, and present; refusals become messages (409 for htmx)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import retailer_get
from core.errors import ConflictError, error_text
from feedback.complaints.forms import AssignForm, StaffComplaintForm
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEscalation, Priority
from feedback.complaints.selectors import (
    assignee_choices,
    complaint_get,
    complaint_list,
    complaint_timeline,
    complaints_overdue,
    keyset_page,
    retailer_open_complaints,
)
from feedback.complaints.services.follow_up import complaint_supervisor_call_record
from feedback.complaints.services.intake import complaint_open_once
from feedback.complaints.services.photos import complaint_photo_add
from feedback.complaints.services.routing import complaint_assign
from feedback.complaints.services.workflow import (
    complaint_close,
    complaint_note_add,
    complaint_reopen,
    complaint_resolve,
    complaint_start,
)

FILTER_KEYS = (
    "q",
    "status",
    "category",
    "priority",
    "channel",
    "assignee",
    "overdue",
    "needs_call",
    "retailer",
    "unit",
    "manager",
)


@login_required
@permission_required("feedback.view_complaint", raise_exception=True)
@require_GET
def complaint_list_view(request):
    filters = {key: request.GET.get(key, "") for key in FILTER_KEYS}
    if "status" not in request.GET:
        # the list opens on the cases still to be handled; "全部状态" (status=) shows the closed ones too
        filters["status"] = "open"
    rows, next_cursor = keyset_page(
        complaint_list(user=request.user, filters=filters), cursor=request.GET.get("after")
    )
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "complaints": rows,
        "next_cursor": next_cursor,
        "query": query.urlencode(),
        "filters": filters,
        "statuses": [("open", _("未办结")), *Complaint.Status.choices],
        "categories": ComplaintCategory.objects.filter(is_active=True),
        "priorities": Priority.choices,
        "channels": Complaint.Channel.choices,
        "is_first_page": not request.GET.get("after"),
        "now": timezone.now(),
    }
    template = "includes/complaint_rows.html" if request.htmx and request.GET.get("after") else None
    return render(request, template or "feedback/complaint_list.html", context)


@login_required
@permission_required("feedback.add_complaint", raise_exception=True)
@require_http_methods(["GET", "POST"])
def complaint_create_view(request):
    retailer_id = request.POST.get("retailer_id") or request.GET.get("retailer")
    if not str(retailer_id or "").isdigit():
        messages.info(request, _("请先在零售客户页面找到要登记投诉的店铺，再点“登记投诉”。"))
        return redirect("accounts:retailer-list")
    retailer = retailer_get(user=request.user, retailer_id=int(retailer_id))
    form = StaffComplaintForm(
        request.POST or None, request.FILES or None, initial={"retailer_id": retailer.pk}
    )
    if request.method == "POST" and form.is_valid():
        photo = form.cleaned_data.get("photo")
        try:
            complaint, created = complaint_open_once(
                retailer=retailer,
                category_code=form.cleaned_data["category"].code,
                description=form.cleaned_data["description"],
                channel=form.cleaned_data["channel"],
                kind=form.cleaned_data["kind"],
                priority=form.cleaned_data["priority"] or None,
                product=form.cleaned_data["product"],
                order=form.cleaned_data["order"],
                actor=request.user,
                photos=[photo] if photo else (),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            if not created:  # a double click: the case is already there
                messages.info(request, _("这条投诉刚刚已登记（#%(id)s）。") % {"id": complaint.pk})
                return redirect(complaint)
            messages.success(request, _("已登记投诉 #%(id)s。") % {"id": complaint.pk})
            return redirect(complaint)
    return render(request, "feedback/complaint_form.html", {"form": form, "retailer": retailer})


def _actions(complaint: Complaint, user) -> list[str]:
    if not user.has_perm("feedback.change_complaint"):
        return []
    by_status = {
        Complaint.Status.NEW: ["assign"],
        Complaint.Status.ASSIGNED: ["start", "assign"],
        Complaint.Status.IN_PROGRESS: ["resolve", "assign"],
        Complaint.Status.RESOLVED: ["close", "reopen"],
        Complaint.Status.CLOSED: ["reopen"],
    }
    actions = list(by_status[complaint.status])
    if complaint.needs_supervisor_call and (user.is_company_admin or user.role == "supervisor"):
        actions.append("supervisor_call")
    return actions


@login_required
@permission_required("feedback.view_complaint", raise_exception=True)
@require_GET
def complaint_detail_view(request, pk):
    complaint = complaint_get(user=request.user, complaint_id=pk)
    actions = _actions(complaint, request.user)
    context = {
        "complaint": complaint,
        "events": complaint_timeline(complaint=complaint),
        "photos": complaint.photos.all(),
        "escalations": complaint.escalations.select_related("escalated_to"),
        "actions": actions,
        "assign_form": AssignForm(assignees=assignee_choices(complaint=complaint))
        if "assign" in actions
        else None,
        "breach_labels": dict(ComplaintEscalation.Breach.choices),
    }
    return render(request, "feedback/complaint_detail.html", context)


@login_required
@permission_required("feedback.change_complaint", raise_exception=True)
@require_POST
def complaint_action_view(request, pk, action):
    """One workflow step from the case page. The form carries the version the user saw: a stale page is refused
    rather than overwriting someone else's step."""
    complaint = complaint_get(user=request.user, complaint_id=pk)
    version = request.POST.get("version")
    expected = int(version) if str(version or "").isdigit() else None
    user = request.user
    try:
        if action == "assign":
            form = AssignForm(request.POST, assignees=assignee_choices(complaint=complaint))
            if not form.is_valid():
                raise ValidationError(_("请选择处理人。"))
            complaint_assign(
                complaint=complaint,
                assignee=form.cleaned_data["assignee"],
                actor=user,
                expected_version=expected,
            )
            done = _("已分派。")
        elif action == "start":
            complaint_start(complaint=complaint, actor=user, expected_version=expected)
            done = _("已开始处理。")
        elif action == "resolve":
            complaint_resolve(
                complaint=complaint,
                actor=user,
                resolution=request.POST.get("resolution", ""),
                expected_version=expected,
            )
            done = _("已标记为已解决。")
        elif action == "close":
            complaint_close(complaint=complaint, actor=user, expected_version=expected)
            done = _("已关闭。")
        elif action == "reopen":
            complaint_reopen(
                complaint=complaint,
                actor=user,
                reason=request.POST.get("reason", ""),
                expected_version=expected,
            )
            done = _("已重新打开。")
        elif action == "note":
            complaint_note_add(
                complaint=complaint,
                actor=user,
                text=request.POST.get("text", ""),
                internal=request.POST.get("visible_to_retailer") != "on",
            )
            done = _("已添加备注。")
        elif action == "supervisor_call":
            if "supervisor_call" not in _actions(complaint, user):
                raise ConflictError(_("只有主管可以记录低分回访。"))
            complaint_supervisor_call_record(
                complaint=complaint, actor=user, note=request.POST.get("note", "")
            )
            done = _("已记录主管回访。")
        elif action == "photo":
            photo = request.FILES.get("photo")
            if photo is None:
                raise ValidationError(_("请选择照片。"))
            complaint_photo_add(complaint=complaint, actor=user, photo=photo)
            done = _("已上传照片。")
        else:
            raise Http404
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect(complaint)


@login_required
@permission_required("feedback.view_complaint", raise_exception=True)
@require_GET
def complaint_photo_view(request, pk, photo_id):
    """A case's photo, to those who may see the case (media is never served publicly: shops, people, licences)."""
    complaint = complaint_get(user=request.user, complaint_id=pk)
    photo = get_object_or_404(complaint.photos.all(), pk=photo_id) if 0 < photo_id < 2**63 else None
    if photo is None:
        raise Http404
    response = FileResponse(photo.image.open("rb"), content_type=photo.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@permission_required("feedback.view_complaint", raise_exception=True)
@require_GET
def retailer_complaints_panel_view(request, pk):
    """The portrait's panel (htmx): the retailer's open complaints and a button to log a new one."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    context = {
        "retailer": retailer,
        "complaints": retailer_open_complaints(user=request.user, retailer_id=retailer.pk),
        "overdue_ids": set(
            complaints_overdue(retailer_ids=[retailer.pk], user=request.user).values_list("pk", flat=True)
        ),
    }
    return render(request, "includes/complaint_retailer_panel.html", context)
