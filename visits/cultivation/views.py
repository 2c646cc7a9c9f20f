"""Brand cultivation pages: the programme list and form, a programme's progress, adding its targets."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.selectors import retailer_scope
from core.errors import error_text
from users.models import OrgUnit, User
from visits.cultivation.selectors import (
    programme_get,
    programme_list,
    programme_progress,
    programme_target_rows,
)
from visits.cultivation.services import programme_create, programme_targets_add, programme_targets_by_rule
from visits.forms import ProgrammeForm, TargetsForm


def _units_for(user: User):
    units = OrgUnit.objects.all()
    if user.is_company_admin:
        return units
    return units.filter(path__startswith=user.org_unit.path) if user.org_unit_id else units.none()


@login_required
@permission_required("visits.view_cultivationprogramme", raise_exception=True)
@require_http_methods(["GET", "POST"])
def programme_list_view(request):
    may_add = request.user.has_perm("visits.add_cultivationprogramme")
    form = None
    if may_add:
        form = ProgrammeForm(request.POST or None, units=_units_for(request.user))
        if request.method == "POST" and form.is_valid():
            try:
                programme = programme_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("培育项目已创建。"))
                return redirect(programme.get_absolute_url())
    elif request.method == "POST":
        return HttpResponse(status=403)
    today = timezone.localdate()
    return render(
        request,
        "visits/programme_list.html",
        {"programmes": programme_list(user=request.user)[:100], "form": form, "today": today},
    )


@login_required
@permission_required("visits.view_cultivationprogramme", raise_exception=True)
@require_GET
def programme_detail_view(request, pk):
    programme = programme_get(user=request.user, programme_id=pk)
    periods, total, by_manager = programme_progress(user=request.user, programme=programme)
    return render(
        request,
        "visits/programme_detail.html",
        {
            "programme": programme,
            "periods": periods,
            "total": total,
            "by_manager": by_manager,
            "targets": programme_target_rows(user=request.user, programme=programme),
            "may_target": request.user.has_perm("visits.add_cultivationtarget"),
            "targets_form": TargetsForm(),
            "today": timezone.localdate(),
        },
    )


@login_required
@permission_required("visits.add_cultivationtarget", raise_exception=True)
@require_POST
def programme_targets_view(request, pk):
    """Add targets by rule (`mode=rule`) or by customer codes."""
    programme = programme_get(user=request.user, programme_id=pk)
    try:
        if request.POST.get("mode") == "rule":
            added = programme_targets_by_rule(programme=programme, actor=request.user)
        else:
            form = TargetsForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("请输入客户编码。"))
            codes = form.codes()
            found = dict(
                retailer_scope(user=request.user)
                .filter(customer_code__in=codes)
                .values_list("customer_code", "pk")
            )
            unknown = [c for c in codes if c not in found]
            if unknown:
                raise ValidationError(_("找不到这些客户编码：%(codes)s") % {"codes": "、".join(unknown)})
            added = programme_targets_add(
                actor=request.user, programme=programme, retailer_ids=list(found.values())
            )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("新增 %(n)s 户目标客户。") % {"n": added})
    return redirect(programme.get_absolute_url())
