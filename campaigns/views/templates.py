"""Message templates: list, editor with a live preview against a real retailer and the SMS counter."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.selectors import retailer_scope
from campaigns import templating
from campaigns.forms import MessageTemplateForm
from campaigns.selectors import template_get, template_list
from campaigns.services.templates import template_create, template_may_edit, template_update
from core.errors import ConflictError, form_errors_add

PREVIEW_RETAILERS = 50


def _editor_context(request, form, template):
    return {
        "form": form,
        "template_obj": template,
        "variables": [(name, label) for name, label in templating.VARIABLES.items()],
        "retailers": retailer_scope(user=request.user)
        .only("id", "shop_name")
        .order_by("-id")[:PREVIEW_RETAILERS],
        "signature": templating.sms_signature(),
        "opt_out": settings.CAMPAIGNS_SMS_OPT_OUT_TEXT,
    }


@login_required
@permission_required("campaigns.view_messagetemplate", raise_exception=True)
@require_GET
def template_list_view(request):
    templates = template_list(user=request.user).order_by("-updated_at")
    return render(
        request,
        "campaigns/template_list.html",
        {"templates": templates, "may_create": template_may_edit(user=request.user)},
    )


@login_required
@permission_required("campaigns.add_messagetemplate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def template_create_view(request):
    initial = {
        "channel": "sms",
        "body": f"{templating.sms_signature()}{{{{ owner_name }}}}您好，"
        f"{settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}",
    }
    form = MessageTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("模板已保存。"))
            return redirect(template)
    status = 400 if form.errors else 200
    return render(
        request, "campaigns/template_form.html", _editor_context(request, form, None), status=status
    )


@login_required
@permission_required("campaigns.view_messagetemplate", raise_exception=True)
@require_http_methods(["GET", "POST"])
def template_update_view(request, pk):
    template = template_get(user=request.user, template_id=pk)
    if request.method == "POST" and not template_may_edit(user=request.user, template=template):
        raise PermissionDenied
    form = MessageTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        try:
            template = template_update(actor=request.user, template=template, data=form.service_data())
        except ValidationError as exc:
            form_errors_add(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("模板已保存。"))
            return redirect(template)
    status = 400 if form.errors else 200
    return render(
        request, "campaigns/template_form.html", _editor_context(request, form, template), status=status
    )


@login_required
@permission_required("campaigns.view_messagetemplate", raise_exception=True)
@require_GET
def template_preview_view(request):
    """htmx: the template as typed so far, rendered for the chosen retailer, with its problems and length."""
    retailer = None
    retailer_id = request.GET.get("retailer", "")
    if retailer_id.isdigit():
        retailer = (
            retailer_scope(user=request.user)
            .select_related("route__manager")
            .filter(pk=int(retailer_id))
            .first()
        )
    result = templating.preview(
        channel=request.GET.get("channel", "sms"),
        subject=request.GET.get("subject", ""),
        body=request.GET.get("body", ""),
        html_body=request.GET.get("html_body", ""),
        retailer=retailer,
        context={
            "holiday": _("中秋节"),
            "product": _("示例品规"),
            "substitute": _("示例替代品规"),
            "recommended_products": _("示例品规甲、示例品规乙"),
        },
    )
    return render(
        request,
        "includes/template_preview.html",
        {"preview": result, "channel": request.GET.get("channel", "sms"), "retailer": retailer},
    )
