"""Pages of personal-information requests (/privacy/): the list with deadlines, registering a request, and a
request's page with its log, the statement of an erasure and the actions the user may take. Every action is one
service call; the services check permissions and territory."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.selectors import retailer_scope
from core.errors import ConflictError, error_text, form_errors_add
from privacy import selectors, services
from privacy.forms import PrivacyRequestForm, RefuseForm
from privacy.models import PrivacyRequest, RetailerAnonymisation


@login_required
@permission_required("privacy.view_privacyrequest", raise_exception=True)
def request_list_view(request):
    status = request.GET.get("status", "open")
    if status not in PrivacyRequest.Status.values:
        status = ""
    requests = selectors.privacy_request_list(user=request.user, status=status or None)[:200]
    return render(
        request,
        "privacy/request_list.html",
        {"requests": requests, "status": status, "statuses": PrivacyRequest.Status.choices},
    )


@login_required
@permission_required("privacy.add_privacyrequest", raise_exception=True)
def request_create_view(request):
    initial = {}
    if request.GET.get("retailer", "").isdigit():
        found = retailer_scope(user=request.user).filter(pk=int(request.GET["retailer"])).first()
        if found:
            initial["customer_code"] = found.customer_code
    form = PrivacyRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        retailer = (
            retailer_scope(user=request.user).filter(customer_code=form.cleaned_data["customer_code"]).first()
        )
        if retailer is None:
            form.add_error("customer_code", _("该零售客户不存在或不在您的管辖范围内。"))
        else:
            try:
                created = services.privacy_request_create(
                    actor=request.user,
                    retailer_id=retailer.pk,
                    kind=form.cleaned_data["kind"],
                    channel=form.cleaned_data["channel"],
                    details=form.cleaned_data["details"],
                    corrections=form.corrections(),
                    received_at=form.cleaned_data["received_at"],
                )
            except ValidationError as exc:
                form_errors_add(form, exc)
            except ConflictError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, _("请求已登记，答复期限：%(due)s") % {"due": f"{created.due_at:%Y-%m-%d %H:%M}"}
                )
                return redirect("privacy:request-detail", pk=created.pk)
    return render(request, "privacy/request_form.html", {"form": form})


@login_required
@permission_required("privacy.view_privacyrequest", raise_exception=True)
def request_detail_view(request, pk):
    item = selectors.privacy_request_get(user=request.user, request_id=pk)
    anonymisation = RetailerAnonymisation.objects.filter(request=item).first()
    return render(
        request,
        "privacy/request_detail.html",
        {
            "item": item,
            "log": selectors.privacy_request_log(request=item),
            "anonymisation": anonymisation,
            "refuse_form": RefuseForm(),
        },
    )


@login_required
@permission_required("privacy.view_privacyrequest", raise_exception=True)
@require_POST
def request_export_view(request, pk, fmt):
    """The person's copy (unmasked, logged as an export): a POST, since every copy is recorded."""
    item = selectors.privacy_request_get(user=request.user, request_id=pk)
    try:
        content, filename, content_type = services.privacy_access_export(
            actor=request.user, request=item, fmt=fmt
        )
    except (ValidationError, ConflictError) as exc:
        messages.error(request, error_text(exc))
        return redirect("privacy:request-detail", pk=pk)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


ACTIONS = {"correct", "approve", "refuse"}


@login_required
@permission_required("privacy.view_privacyrequest", raise_exception=True)
@require_POST
def request_action_view(request, pk, action):
    if action not in ACTIONS:
        raise PermissionDenied
    item = selectors.privacy_request_get(user=request.user, request_id=pk)
    try:
        if action == "correct":
            services.privacy_correction_apply(actor=request.user, request=item)
            messages.success(request, _("已按请求更正客户信息。"))
        elif action == "approve":
            services.privacy_erasure_approve(actor=request.user, request=item)
            messages.success(request, _("已批准删除：该客户的个人信息已匿名化，保留说明见下。"))
        else:
            form = RefuseForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("请填写拒绝理由（将告知客户）。"))
                return redirect("privacy:request-detail", pk=pk)
            services.privacy_request_refuse(
                actor=request.user, request=item, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("已拒绝该请求。"))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    except ConflictError as exc:
        messages.error(request, str(exc))
    return redirect("privacy:request-detail", pk=pk)
