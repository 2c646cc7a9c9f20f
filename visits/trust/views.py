"""The supervisor's review of doubtful visits."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.errors import ConflictError, error_text
from visits import selectors
from visits.forms import ReviewForm
from visits.trust.services import visit_review

REVIEW_PAGE = 50


@login_required
@permission_required("visits.review_visit", raise_exception=True)
@require_GET
def review_queue_view(request):
    """Doubtful visits of the supervisor's shops, oldest first, each with its reasons and photos."""
    qs = selectors.visits_doubtful(user=request.user)
    return render(
        request,
        "visits/review_queue.html",
        {"visits": list(qs[:REVIEW_PAGE]), "total": qs.count(), "form": ReviewForm()},
    )


@login_required
@permission_required("visits.review_visit", raise_exception=True)
@require_POST
def review_decide_view(request, pk):
    visit = selectors.visit_get(user=request.user, visit_id=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择认可或驳回。"))
        return redirect("visits:review-queue")
    try:
        visit_review(
            actor=request.user,
            visit=visit,
            accept=form.cleaned_data["decision"] == "accept",
            reason=form.cleaned_data["reason"],
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("已审核：%(shop)s %(day)s") % {"shop": visit.retailer.shop_name, "day": visit.visited_on},
        )
    return redirect("visits:review-queue")
