"""Hidden complaints: the list of retailers to call, and "mark as called"."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import retailer_get
from core.errors import error_text
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.hidden.selectors import hidden_complaints, hidden_reason_sources
from feedback.complaints.hidden.services import hidden_complaint_call_record


@login_required
@permission_required("feedback.view_hiddencomplaintcall", raise_exception=True)
@require_GET
def hidden_complaint_list_view(request):
    code = request.GET.get("reason") or None
    rows = hidden_complaints(user=request.user, codes=[code] if code else None)
    context = {
        "rows": rows,
        "sources": hidden_reason_sources(),
        "reason": code or "",
        "outcomes": HiddenComplaintCall.Outcome.choices,
    }
    return render(request, "feedback/hidden_complaint_list.html", context)


@login_required
@permission_required("feedback.add_hiddencomplaintcall", raise_exception=True)
@require_POST
def hidden_complaint_call_view(request, pk):
    if not 0 < pk < 2**63:
        raise Http404
    retailer = retailer_get(user=request.user, retailer_id=pk)
    try:
        hidden_complaint_call_record(
            retailer=retailer,
            user=request.user,
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已记录对 %(shop)s 的回访。") % {"shop": retailer.shop_name})
    return redirect("feedback:hidden-complaints")
