"""Browser pages for retailers: list, portrait, create, edit, reveal, consent, export."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.filters import RetailerFilter
from accounts.forms import ConsentForm, RetailerForm
from accounts.licence import SOON_DAYS, licence_state
from accounts.models import Retailer, SensitiveAccess
from accounts.selectors import (
    retailer_consent_history,
    retailer_count_capped,
    retailer_get,
    retailer_history,
    retailer_page,
    retailer_scope,
)
from accounts.sensitive import (
    retailer_export_log,
    sensitive_access_log_many,
    sensitive_may_reveal,
    sensitive_reveal,
)
from accounts.services import retailer_consent_set, retailer_create, retailer_update
from core.errors import ConflictError, error_text, form_errors_add
from core.masking import PERSONAL_FIELDS, mask_mobile, mask_personal
from core.replica import reads_from_replica
from core.spreadsheet import csv_stream_response, xlsx_response
from users.models import User


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _client_ip(request):
    return request.META.get("REMOTE_ADDR")


# What a row of the list shows (templates/includes/retailer_results.html), read as values: the page builds no
# model instances and asks no per-row methods, and each label is translated once a page rather than once a row.
LIST_COLUMNS = (
    "id",
    "shop_name",
    "licence_no",
    "status",
    "owner_name",
    "mobile",
    "market_type",
    "business_format",
    "scale",
    "class_code",
    "address",
    "tier",
    "credit_grade",
    "licence_status",
    "licence_expires_on",
    "route__code",
    "route__manager__display_name",
    "route__manager__username",
)
LABELLED_COLUMNS = ("status", "market_type", "business_format", "scale", "licence_status")
_URL_PK = 987654321  # stands for the pk in the portrait's URL, reversed once a page


@login_required
@require_GET
def retailer_list_view(request):
    qs = retailer_scope(user=request.user)
    filterset = RetailerFilter(request.GET or None, queryset=qs, user=request.user)
    rows_qs = (
        filterset.qs
        if filterset.is_bound and filterset.is_valid()
        else qs.none()
        if filterset.is_bound
        else qs
    )
    page = retailer_page(
        rows_qs.values(*LIST_COLUMNS),
        after=_int_or_none(request.GET.get("after")),
        before=_int_or_none(request.GET.get("before")),
    )
    today = timezone.localdate()
    page.rows = _list_rows(page.rows, today=today)
    query = request.GET.copy()
    for key in ("after", "before"):
        query.pop(key, None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "today": today,
        "can_export": request.user.has_perm("accounts.export_retailer"),
        "active_filters": sum(1 for k, v in request.GET.items() if k not in ("q", "after", "before") and v),
    }
    template = "includes/retailer_results.html" if request.htmx else "accounts/retailer_list.html"
    return render(request, template, context)


def _list_rows(rows: list[dict], *, today: datetime.date) -> list[dict]:
    """The list's rows as the template shows them: labels, the masked mobile (core.masking, as on every list), the
    licence state (accounts.licence), the portrait's URL."""
    labels = {
        name: {value: str(label) for value, label in Retailer._meta.get_field(name).flatchoices}
        for name in LABELLED_COLUMNS
    }
    tier_label = _("%(n)s档")
    url_head, url_tail = reverse("accounts:retailer-detail", kwargs={"pk": _URL_PK}).split(str(_URL_PK))
    result = []
    for row in rows:
        status, market, business_format, scale = (
            labels["status"].get(row["status"], row["status"]),
            labels["market_type"].get(row["market_type"], row["market_type"]),
            labels["business_format"].get(row["business_format"], row["business_format"]),
            labels["scale"].get(row["scale"], row["scale"]),
        )
        licence = licence_state(
            status=row["licence_status"],
            status_label=labels["licence_status"].get(row["licence_status"], row["licence_status"]),
            expires_on=row["licence_expires_on"],
            today=today,
        )
        days = licence.days
        manager = row["route__manager__username"]
        result.append(
            {
                "id": row["id"],
                "url": f"{url_head}{row['id']}{url_tail}",
                "shop_name": row["shop_name"],
                "licence_no": row["licence_no"],
                "status": row["status"],
                "status_label": status if row["status"] != Retailer.Status.ACTIVE else "",
                "edge": " is-expired"
                if days is not None and days < 0
                else " is-soon"
                if days is not None and days <= SOON_DAYS
                else "",
                "owner_name": row["owner_name"],
                "mobile": mask_mobile(row["mobile"] or ""),
                "class_code": row["class_code"],
                "class_title": f"{market} · {business_format} · {scale}",
                "business_format": business_format,
                "address": row["address"],
                "tier": row["tier"],
                "tier_label": tier_label % {"n": row["tier"]} if row["tier"] else "",
                "credit_grade": row["credit_grade"],
                "licence": licence,
                "expires_on": row["licence_expires_on"].isoformat() if row["licence_expires_on"] else "",
                "route_code": row["route__code"],
                "manager": User.name_from(row["route__manager__display_name"], manager) if manager else "",
            }
        )
    return result


@login_required
@require_GET
def retailer_count_view(request):
    """The number of matching retailers, on demand only, capped so it never scans a province."""
    filterset = RetailerFilter(
        request.GET or None, queryset=retailer_scope(user=request.user), user=request.user
    )
    if filterset.is_bound and not filterset.is_valid():
        return HttpResponse(_("筛选条件有误"))
    count, capped = retailer_count_capped(filterset.qs)
    text = _("超过 %(n)s 家") % {"n": f"{count:,}"} if capped else _("共 %(n)s 家") % {"n": f"{count:,}"}
    return HttpResponse(text)


@login_required
@require_GET
def retailer_detail_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    context = {
        "retailer": retailer,
        "history": retailer_history(retailer=retailer),
        "consent_events": retailer_consent_history(retailer=retailer),
        "consent_form": ConsentForm(),
        "may_reveal_mobile": sensitive_may_reveal(user=request.user, field=SensitiveAccess.Field.MOBILE),
        "may_reveal_identity": sensitive_may_reveal(user=request.user, field=SensitiveAccess.Field.ID_NUMBER),
        "today": timezone.localdate(),
    }
    return render(request, "accounts/retailer_detail.html", context)


@login_required
@permission_required("accounts.add_retailer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def retailer_create_view(request):
    reveal = sensitive_may_reveal(user=request.user, field=SensitiveAccess.Field.ID_NUMBER)
    form = RetailerForm(request.POST or None, user=request.user, reveal_sensitive=reveal)
    if request.method == "POST" and form.is_valid():
        try:
            retailer = retailer_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            form_errors_add(form, exc)
        else:
            messages.success(request, _("已建档：%(name)s") % {"name": retailer.shop_name})
            return redirect(retailer)
    return render(
        request, "accounts/retailer_form.html", {"form": form, "retailer": None}, status=_status(form)
    )


@login_required
@permission_required("accounts.change_retailer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def retailer_update_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    reveal = sensitive_may_reveal(user=request.user, field=SensitiveAccess.Field.ID_NUMBER)
    contact = sensitive_may_reveal(user=request.user, field=SensitiveAccess.Field.MOBILE)
    form = RetailerForm(
        request.POST or None,
        instance=retailer,
        user=request.user,
        reveal_sensitive=reveal,
        reveal_contact=contact,
    )
    if request.method == "GET":
        # The edit form carries the full values: opening it is an unmasking, logged like the 显示 button.
        shown = [f for f in SensitiveAccess.Field.values if f in form.fields and getattr(retailer, f)]
        sensitive_access_log_many(
            user=request.user,
            retailer_ids=[retailer.pk],
            fields=shown,
            via=SensitiveAccess.Via.PAGE,
            ip_address=_client_ip(request),
        )
    if request.method == "POST" and form.is_valid():
        seen = form.cleaned_data.get("updated_at_seen")
        try:
            expected = datetime.datetime.fromisoformat(seen) if seen else None
        except ValueError:
            expected = None
        try:
            retailer = retailer_update(
                actor=request.user,
                retailer=retailer_get(user=request.user, retailer_id=pk),
                data=form.service_data(),
                expected_updated_at=expected,
            )
        except ValidationError as exc:
            form_errors_add(form, exc)
        except ConflictError as exc:
            form.add_error(None, str(exc))
            return render(
                request, "accounts/retailer_form.html", {"form": form, "retailer": retailer}, status=409
            )
        else:
            messages.success(request, _("已保存修改。"))
            return redirect(retailer)
    return render(
        request, "accounts/retailer_form.html", {"form": form, "retailer": retailer}, status=_status(form)
    )


def _status(form) -> int:
    return 400 if form.is_bound and form.errors else 200


@login_required
@require_POST
def retailer_reveal_view(request, pk, field):
    """Show one sensitive value in full (htmx) and log that this user saw it."""
    retailer = retailer_get(user=request.user, retailer_id=pk)
    if field not in SensitiveAccess.Field.values:
        return HttpResponse(status=404)
    try:
        value = sensitive_reveal(
            user=request.user,
            retailer=retailer,
            field=field,
            via=SensitiveAccess.Via.PAGE,
            ip_address=_client_ip(request),
        )
    except PermissionDenied:
        return HttpResponse(_("无权查看"), status=403)
    if request.GET.get("as") == "call" and field == SensitiveAccess.Field.MOBILE:
        # the portrait's action bar: the number becomes the tap-to-call button in place
        return render(request, "includes/revealed_call.html", {"value": value})
    return render(request, "includes/revealed_value.html", {"value": value, "field": field})


@login_required
@permission_required("accounts.change_retailer", raise_exception=True)
@require_POST
def retailer_consent_view(request, pk):
    retailer = retailer_get(user=request.user, retailer_id=pk)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("授权信息不完整：请注明来源。"))
        return redirect(retailer)
    try:
        retailer_consent_set(actor=request.user, retailer=retailer, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("已记录授权变更。"))
    return redirect(retailer)


EXPORT_COLUMNS = (
    ("customer_code", _("客户编码")),
    ("licence_no", _("许可证号")),
    ("shop_name", _("店铺名称")),
    ("owner_name", _("负责人")),
    ("mobile", _("手机号")),
    ("address", _("经营地址")),
    ("class_code", _("分类编码")),
    ("tier", _("档位")),
    ("credit_grade", _("信用等级")),
    ("status", _("客户状态")),
    ("licence_expires_on", _("许可证有效期至")),
    ("route__code", _("服务线路")),
    ("org_unit__name", _("所属单位")),
)


@login_required
@permission_required("accounts.export_retailer", raise_exception=True)
@require_GET
@reads_from_replica
def retailer_export_view(request, fmt="csv"):
    """The current filtered list as CSV (UTF-8 with BOM so Excel shows Chinese) or XLSX, masked by role,
    logged (who, filter, row count). CSV streams; XLSX is written row by row (openpyxl write-only) to a
    temporary file, so memory stays flat either way."""
    filters = {k: v for k, v in request.GET.lists() if k not in ("after", "before")}
    filterset = RetailerFilter(request.GET, queryset=retailer_scope(user=request.user), user=request.user)
    if not filterset.is_valid():
        return HttpResponse(_("筛选条件有误，无法导出。"), status=400)
    qs = filterset.qs.order_by("id")
    # personal fields are masked in every export, for every role (core.masking): a file is a bulk copy
    export = retailer_export_log(user=request.user, filters=filters, row_count=qs.count(), unmasked=False)
    header = [str(label) for _name, label in EXPORT_COLUMNS]
    rows = _export_rows(qs)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"retailers-{stamp}-{export.pk}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(header, rows, filename=filename, title=_("零售客户"))
    return csv_stream_response(header, rows, filename=filename)


def _export_rows(qs):
    names = [name for name, _label in EXPORT_COLUMNS]
    personal = [(index, name) for index, name in enumerate(names) if name in PERSONAL_FIELDS]
    status_index = names.index("status")
    status_labels = dict(Retailer.Status.choices)
    for values in qs.values_list(*names).iterator(chunk_size=2000):
        values = list(values)
        for index, name in personal:
            values[index] = mask_personal(name, values[index])
        values[status_index] = str(status_labels.get(values[status_index], values[status_index]))
        yield values
