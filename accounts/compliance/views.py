"""Violation pages: the list (search, filters, keyset pages), the record form, voiding, the portrait panel and the
credit rule page."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.compliance import selectors, services
from accounts.compliance.forms import ViolationForm, VoidForm
from accounts.compliance.models import CreditRule, Violation
from accounts.models import Retailer
from accounts.selectors import retailer_get, retailer_scope
from core.errors import ConflictError
from users.models import User

PAGE = 50


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@permission_required("accounts.view_violation", raise_exception=True)
@require_GET
def violation_list_view(request):
    get = request.GET
    filters = {
        "q": get.get("q", ""),
        "type": get.get("type", ""),
        "source": get.get("source", ""),
        "penalty": get.get("penalty", ""),
        "status": get.get("status", "active"),
        "since": _date(get.get("since")),
        "until": _date(get.get("until")),
    }
    # keyset pages on (date, id), newest first: no OFFSET, no COUNT
    qs = selectors.violation_list(user=request.user, filters=filters).order_by("-occurred_on", "-id")
    day, _sep, last_id = get.get("before", "").partition("_")
    if _date(day) and last_id.isdigit():
        qs = qs.filter(Q(occurred_on__lt=_date(day)) | Q(occurred_on=_date(day), pk__lt=int(last_id)))
    rows = list(qs[: PAGE + 1])
    query = get.copy()
    query.pop("before", None)
    return render(
        request,
        "accounts/violation_list.html",
        {
            "rows": rows[:PAGE],
            "next_before": f"{rows[PAGE - 1].occurred_on.isoformat()}_{rows[PAGE - 1].pk}"
            if len(rows) > PAGE
            else None,
            "query": query.urlencode(),
            "filters": filters,
            "types": Violation.Type.choices,
            "sources": Violation.Source.choices,
            "penalties": Violation.Penalty.choices,
        },
    )


def _retailer_from_request(request) -> Retailer | None:
    value = (request.GET.get("retailer") or request.POST.get("retailer") or "").strip()
    if value.isdigit() and len(value) < 12:
        return retailer_get(user=request.user, retailer_id=int(value))
    if value:
        found = retailer_scope(user=request.user).filter(licence_no=value).first()
        return found or retailer_scope(user=request.user).filter(customer_code=value).first()
    return None


@login_required
@permission_required("accounts.add_violation", raise_exception=True)
@require_http_methods(["GET", "POST"])
def violation_create_view(request):
    manager = request.user.role == User.Role.MANAGER
    retailer = _retailer_from_request(request)
    lookup_error = None
    if request.method == "POST":
        form = ViolationForm(request.POST, manager=manager)
        if retailer is None:
            lookup_error = _("请填写辖区内客户的许可证号或客户编码。")
        elif form.is_valid():
            try:
                services.violation_record(actor=request.user, retailer=retailer, data=form.service_data())
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    target = "fine_yuan" if field == "fine_fen" else field
                    for e in errors:
                        form.add_error(target if target in form.fields else None, e)
            else:
                messages.success(request, _("已登记违规，信用等级已重新评定。"))
                return redirect(retailer)
    else:
        form = ViolationForm(
            initial={
                "source": Violation.Source.VISIT if manager else Violation.Source.INSPECTION,
                "occurred_on": timezone.localdate(),
            },
            manager=manager,
        )
    return render(
        request,
        "accounts/violation_form.html",
        {"form": form, "retailer": retailer, "lookup_error": lookup_error},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@permission_required("accounts.change_violation", raise_exception=True)
@require_POST
def violation_void_view(request, pk):
    violation = selectors.violation_get(user=request.user, violation_id=pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写作废原因。"))
    else:
        try:
            services.violation_void(
                actor=request.user, violation=violation, reason=form.cleaned_data["void_reason"]
            )
            messages.success(request, _("已作废，信用等级已重新评定。"))
        except (ValidationError, ConflictError, PermissionDenied) as error:
            messages.error(request, "；".join(getattr(error, "messages", [str(error)])))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = "accounts:violation-list"  # never back to another site
    return redirect(target)


@login_required
@require_GET
def retailer_violations_view(request, pk):
    """The portrait panel: credit grade, its recent changes, and the retailer's violations."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    if not request.user.has_perm("accounts.view_violation"):
        raise PermissionDenied
    violations = list(
        selectors.violation_list(user=request.user, filters={"retailer": retailer.pk, "status": ""})[:10]
    )
    return render(
        request,
        "includes/retailer_violations.html",
        {
            "retailer": retailer,
            "violations": violations,
            "credit_history": selectors.retailer_credit_history(retailer=retailer, limit=5),
            "may_record": request.user.has_perm("accounts.add_violation"),
            "may_void": request.user.has_perm("accounts.change_violation"),
        },
    )


@login_required
@permission_required("accounts.view_creditrule", raise_exception=True)
@require_GET
def credit_rule_view(request):
    rule = CreditRule.objects.filter(is_active=True).first()
    points = [(label, rule.points_for(value)) for value, label in Violation.Type.choices] if rule else []
    return render(request, "accounts/credit_rule.html", {"rule": rule, "points": points})
