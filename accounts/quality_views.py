"""The data-quality page: suspected duplicates to merge or dismiss, and records that need attention."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.dedupe.services import (
    duplicate_dismiss,
    duplicate_scan_latest,
    duplicates_open,
    duplicates_scan_request,
    retailer_merge,
)
from accounts.selectors import retailer_quality_issues, retailer_scope
from core.errors import ConflictError, error_text

PAIRS_SHOWN = 30


@login_required
@require_GET
def quality_view(request):
    today = timezone.localdate()
    live = retailer_scope(user=request.user).exclude(status="closed")
    counts = live.aggregate(
        expired=Count("id", filter=Q(licence_expires_on__lt=today, status="active")),
        expiring=Count(
            "id",
            filter=Q(
                licence_expires_on__gte=today, licence_expires_on__lte=today + datetime.timedelta(days=30)
            ),
        ),
        **{
            key: Count("id", filter=condition)
            for key, (_label, condition) in retailer_quality_issues().items()
        },
    )
    pairs = duplicates_open(user=request.user)
    context = {
        "counts": counts,
        "issues": [(key, label, counts[key]) for key, (label, _q) in retailer_quality_issues().items()],
        "pairs": list(pairs[:PAIRS_SHOWN]),
        "more_pairs": pairs[PAIRS_SHOWN : PAIRS_SHOWN + 1].exists(),
        "scan": duplicate_scan_latest(),
        "months": int(request.GET.get("months") or 3) if str(request.GET.get("months", "3")).isdigit() else 3,
    }
    return render(request, "accounts/quality.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def duplicate_scan_view(request):
    """POST: run the duplicate scan now. GET (htmx, every second while it runs): the latest scan's state."""
    if request.method == "POST":
        try:
            duplicates_scan_request(user=request.user)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect("accounts:quality")
        if not request.htmx:
            return redirect("accounts:quality")
    elif not (request.user.is_company_admin or request.user.role == "supervisor"):
        raise PermissionDenied
    return render(request, "includes/duplicate_scan.html", {"scan": duplicate_scan_latest()})


@login_required
@permission_required("accounts.change_retailer", raise_exception=True)
@require_POST
def duplicate_decide_view(request, pk):
    action = request.POST.get("action")
    try:
        if action == "dismiss":
            duplicate_dismiss(user=request.user, pair_id=pk)
            messages.success(request, _("已标记为“不是重复”，不会再提示。"))
        elif action == "merge":
            survivor = int(request.POST["survivor"])
            duplicate = int(request.POST["duplicate"])
            kept = retailer_merge(user=request.user, survivor_id=survivor, duplicate_id=duplicate, pair_id=pk)
            messages.success(
                request,
                _("已合并到 %(name)s（%(licence)s）。")
                % {"name": kept.shop_name, "licence": kept.licence_no},
            )
        else:
            raise ValidationError(_("未知操作。"))
    except (KeyError, ValueError) as exc:
        raise Http404 from exc
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except (ConflictError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("accounts:quality")
