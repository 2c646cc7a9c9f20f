"""Personal-information requests (PIPL) and the retention of closed records. Every step is logged (PrivacyLog);
what each app holds about a retailer and what erasure does with it is accounts.personal_data's registry.

- access ("see"): the person's complete copy, unmasked (it is for the person), as XLSX or JSON; each download is
  logged as an export (accounts.RetailerExport, unmasked) and answers the request;
- correct: the corrected values through accounts.services.retailer_update (its validation and history);
- delete: approved by someone holding privacy.approve_privacyrequest other than who registered it (never a customer
  manager); the approval anonymises the record at once and stores the statement of what was kept and why;
- retention: a retailer closed for PRIVACY_CLOSED_RETENTION_DAYS is anonymised the same way (nightly task)."""

import datetime
import json

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from accounts.personal_data import personal_data_collect, personal_data_erase
from accounts.selectors import retailer_scope
from accounts.sensitive import retailer_export_log
from accounts.services import EDITABLE_FIELDS, retailer_update
from core.errors import ConflictError
from core.spreadsheet import XLSX_CONTENT_TYPE, xlsx_workbook_bytes
from feedback.complaints.workcal import working_days_add
from privacy.models import PrivacyLog, PrivacyRequest, RetailerAnonymisation
from users.models import User

# What a correction request may change: the person's own data on the record.
CORRECTABLE_FIELDS = (
    "owner_name",
    "owner_id_number",
    "owner_birthday",
    "mobile",
    "email",
    "bank_account",
    "address",
)
assert set(CORRECTABLE_FIELDS) <= set(EDITABLE_FIELDS)  # noqa: S101 - a programming error, caught at import
EXPORT_FORMATS = ("xlsx", "json")


def privacy_due_at(*, received_at: datetime.datetime) -> datetime.datetime:
    """The answer is due at the close of office on the N-th working day after receipt (PRIVACY_RESPONSE_WORKING_DAYS)."""
    return working_days_add(start=received_at, days=settings.PRIVACY_RESPONSE_WORKING_DAYS)


def privacy_log_add(
    *,
    retailer_id: int,
    code: str,
    request: PrivacyRequest | None = None,
    user: User | None = None,
    params=None,
) -> PrivacyLog:
    return PrivacyLog.objects.create(
        retailer_id=retailer_id, request=request, code=code, user=user, params=params or {}
    )


def _require(user: User, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def _in_scope(*, user: User, retailer_id: int) -> None:
    if not retailer_scope(user=user).filter(pk=retailer_id).exists():
        raise ValidationError({"retailer": _("该零售客户不存在或不在您的管辖范围内。")})


def _locked_open(request: PrivacyRequest) -> PrivacyRequest:
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != PrivacyRequest.Status.OPEN:
        raise ConflictError(_("该请求已办结，不能再次办理。"))
    return locked


@transaction.atomic
def privacy_request_create(
    *,
    actor: User,
    retailer_id: int,
    kind: str,
    channel: str = PrivacyRequest.Channel.VISIT,
    details: str = "",
    corrections: dict | None = None,
    received_at: datetime.datetime | None = None,
) -> PrivacyRequest:
    """Register a retailer's request; its deadline follows from the day it was received."""
    _require(actor, "privacy.add_privacyrequest", _("您没有登记个人信息请求的权限。"))
    _in_scope(user=actor, retailer_id=retailer_id)
    corrections = dict(corrections or {})
    errors = {}
    if kind not in PrivacyRequest.Kind.values:
        errors["kind"] = _("未知的请求类型。")
    if channel not in PrivacyRequest.Channel.values:
        errors["channel"] = _("未知的受理渠道。")
    if kind == PrivacyRequest.Kind.CORRECT:
        unknown = sorted(set(corrections) - set(CORRECTABLE_FIELDS))
        if not corrections:
            errors["corrections"] = _("请填写要更正的字段和正确的值。")
        elif unknown:
            errors["corrections"] = _("不能通过更正请求修改这些字段：%(fields)s") % {
                "fields": "、".join(unknown)
            }
    elif corrections:
        errors["corrections"] = _("只有更正请求才填写更正内容。")
    now = timezone.now()
    received_at = received_at or now
    if received_at > now:
        errors["received_at"] = _("受理时间不能晚于现在。")
    if errors:
        raise ValidationError(errors)
    retailer = Retailer.objects.select_for_update().get(pk=retailer_id)
    if RetailerAnonymisation.objects.filter(retailer=retailer).exists():
        raise ConflictError(_("该客户的个人信息已经匿名化，没有可查阅、更正或删除的个人信息。"))
    if PrivacyRequest.objects.filter(
        retailer=retailer, kind=kind, status=PrivacyRequest.Status.OPEN
    ).exists():
        raise ConflictError(_("该客户已有同类请求正在办理。"))
    request = PrivacyRequest(
        retailer=retailer,
        kind=kind,
        channel=channel,
        details=(details or "").strip(),
        corrections=corrections,
        received_at=received_at,
        due_at=privacy_due_at(received_at=received_at),
        created_by=actor,
        created_at=now,
    )
    request.full_clean()
    request.save()
    privacy_log_add(
        retailer_id=retailer.pk,
        request=request,
        code=PrivacyLog.Code.RECEIVED,
        user=actor,
        params={"kind": kind, "channel": channel, "fields": sorted(corrections)},
    )
    return request


def _json_default_rows(section: dict) -> list[dict]:
    return [dict(zip(section["header"], row, strict=True)) for row in section["rows"]]


def privacy_export_build(*, retailer: Retailer, fmt: str) -> tuple[bytes, str, str, int]:
    """(content, filename, content type, row count) of the person's complete copy."""
    sections = personal_data_collect(retailer=retailer)
    rows = sum(len(s["rows"]) for s in sections)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"personal-data-{retailer.customer_code}-{stamp}"
    if fmt == "json":
        document = {
            "retailer": retailer.pk,
            "generated_at": timezone.now(),
            "data": [
                {"model": s["label"], "field": s["field"], "title": s["title"], "rows": _json_default_rows(s)}
                for s in sections
            ],
        }
        content = json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1).encode()
        return content, f"{name}.json", "application/json", rows
    sheets = [
        (
            s["label"] if s["field"] in ("retailer", "id") else f"{s['label']}.{s['field']}",
            s["header"],
            s["rows"],
        )
        for s in sections
    ]
    return xlsx_workbook_bytes(_naive(sheets)), f"{name}.xlsx", XLSX_CONTENT_TYPE, rows


def _naive(sheets):
    """openpyxl writes no time zones: aware datetimes as local time; JSON and other objects as text."""
    for title, header, rows in sheets:
        yield title, header, ([_cell(v) for v in row] for row in rows)


def _cell(value):
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        return timezone.localtime(value).replace(tzinfo=None)
    if isinstance(value, dict | list):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if value is not None and not isinstance(value, str | int | float | bool | datetime.date | datetime.time):
        return str(value)
    return value


@transaction.atomic
def privacy_access_export(*, actor: User, request: PrivacyRequest, fmt: str) -> tuple[bytes, str, str]:
    """The person's copy for an access request, logged as an unmasked export; the first one answers the request."""
    _require(actor, "privacy.export_privacyrequest", _("您没有导出客户个人信息副本的权限。"))
    _in_scope(user=actor, retailer_id=request.retailer_id)
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": _("导出格式只能是 xlsx 或 json。")})
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if locked.kind != PrivacyRequest.Kind.ACCESS:
        raise ConflictError(_("只有查阅请求才能导出个人信息副本。"))
    if locked.status == PrivacyRequest.Status.REFUSED:
        raise ConflictError(_("该请求已被拒绝。"))
    if RetailerAnonymisation.objects.filter(retailer_id=locked.retailer_id).exists():
        raise ConflictError(_("该客户的个人信息已经匿名化，没有可查阅、更正或删除的个人信息。"))
    content, filename, content_type, rows = privacy_export_build(retailer=locked.retailer, fmt=fmt)
    export = retailer_export_log(
        user=actor,
        filters={"privacy_request": locked.pk, "retailer": locked.retailer_id, "format": fmt},
        row_count=rows,
        unmasked=True,
    )
    privacy_log_add(
        retailer_id=locked.retailer_id,
        request=locked,
        code=PrivacyLog.Code.EXPORTED,
        user=actor,
        params={"format": fmt, "rows": rows, "export": export.pk},
    )
    if locked.status == PrivacyRequest.Status.OPEN:
        _close(locked, actor=actor)
    return content, filename, content_type


def _close(
    request: PrivacyRequest, *, actor: User, status: str = PrivacyRequest.Status.DONE, reason: str = ""
) -> None:
    request.status = status
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.refusal_reason = reason
    request.save(update_fields=["status", "decided_by", "decided_at", "refusal_reason"])


@transaction.atomic
def privacy_correction_apply(*, actor: User, request: PrivacyRequest) -> PrivacyRequest:
    """Apply the corrections the person asked for (validated like any edit; an invalid value changes nothing)."""
    _require(actor, "privacy.change_privacyrequest", _("您没有办理个人信息请求的权限。"))
    _in_scope(user=actor, retailer_id=request.retailer_id)
    locked = _locked_open(request)
    if locked.kind != PrivacyRequest.Kind.CORRECT:
        raise ConflictError(_("只有更正请求才能更正信息。"))
    data = dict(locked.corrections)
    if "owner_birthday" in data and isinstance(data["owner_birthday"], str):
        try:
            data["owner_birthday"] = (
                datetime.date.fromisoformat(data["owner_birthday"]) if data["owner_birthday"] else None
            )
        except ValueError as exc:
            raise ValidationError({"owner_birthday": _("日期格式应为 YYYY-MM-DD。")}) from exc
    retailer_update(actor=actor, retailer=locked.retailer, data=data)
    _close(locked, actor=actor)
    privacy_log_add(
        retailer_id=locked.retailer_id,
        request=locked,
        code=PrivacyLog.Code.CORRECTED,
        user=actor,
        params={"fields": sorted(data)},
    )
    return locked


@transaction.atomic
def privacy_request_refuse(*, actor: User, request: PrivacyRequest, reason: str) -> PrivacyRequest:
    """Refuse a request, with the reason the person is told (PIPL art. 50)."""
    perm = (
        "privacy.approve_privacyrequest"
        if request.kind == PrivacyRequest.Kind.DELETE
        else "privacy.change_privacyrequest"
    )
    _require(actor, perm, _("您没有办理个人信息请求的权限。"))
    _in_scope(user=actor, retailer_id=request.retailer_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写拒绝理由（将告知客户）。")})
    locked = _locked_open(request)
    _close(locked, actor=actor, status=PrivacyRequest.Status.REFUSED, reason=reason[:300])
    privacy_log_add(retailer_id=locked.retailer_id, request=locked, code=PrivacyLog.Code.REFUSED, user=actor)
    return locked


@transaction.atomic
def privacy_erasure_approve(*, actor: User, request: PrivacyRequest) -> RetailerAnonymisation:
    """Approve a deletion request: the record is anonymised at once (accounts.personal_data's decisions) and the
    statement of what was kept and why is stored. Never by a customer manager, never by who registered it."""
    _require(actor, "privacy.approve_privacyrequest", _("您没有批准删除个人信息的权限。"))
    _in_scope(user=actor, retailer_id=request.retailer_id)
    locked = _locked_open(request)
    if locked.kind != PrivacyRequest.Kind.DELETE:
        raise ConflictError(_("只有删除请求需要批准。"))
    if locked.created_by_id == actor.pk:
        raise PermissionDenied(_("删除请求须由登记人以外的人批准。"))
    privacy_log_add(retailer_id=locked.retailer_id, request=locked, code=PrivacyLog.Code.APPROVED, user=actor)
    anonymisation = retailer_anonymise(
        retailer_id=locked.retailer_id,
        actor=actor,
        reason=RetailerAnonymisation.Reason.REQUEST,
        request=locked,
    )
    _close(locked, actor=actor)
    return anonymisation


def retailer_anonymise(
    *, retailer_id: int, actor: User | None, reason: str, request: PrivacyRequest | None = None
) -> RetailerAnonymisation:
    """Erase the retailer's personal data everywhere (in the caller's transaction, or its own), once."""
    with transaction.atomic():
        retailer = Retailer.objects.select_for_update().get(pk=retailer_id)
        if RetailerAnonymisation.objects.filter(retailer=retailer).exists():
            raise ConflictError(_("该客户的个人信息已经匿名化。"))
        statement = personal_data_erase(retailer=retailer)
        anonymisation = RetailerAnonymisation.objects.create(
            retailer=retailer, reason=reason, request=request, statement=statement
        )
        code = (
            PrivacyLog.Code.ANONYMISED
            if reason == RetailerAnonymisation.Reason.REQUEST
            else PrivacyLog.Code.RETENTION
        )
        privacy_log_add(
            retailer_id=retailer.pk,
            request=request,
            code=code,
            user=actor,
            params={"models": [entry["model"] for entry in statement], "anonymisation": anonymisation.pk},
        )
    return anonymisation


# The day each closed retailer closed: the first 'closed' version after its last other one (its change history);
# a record with no history counts from its last update.
_CLOSED_DUE_SQL = """
SELECT r.id FROM accounts_retailer r
WHERE r.status = 'closed'
  AND NOT EXISTS (SELECT 1 FROM privacy_retaileranonymisation a WHERE a.retailer_id = r.id)
  AND coalesce(
        (SELECT min(e.pgh_created_at) FROM accounts_retailerevent e
         WHERE e.pgh_obj_id = r.id AND e.status = 'closed'
           AND e.pgh_id > coalesce((SELECT max(n.pgh_id) FROM accounts_retailerevent n
                                    WHERE n.pgh_obj_id = r.id AND n.status <> 'closed'), 0)),
        r.updated_at) < %s
ORDER BY r.id
"""


def privacy_retention_run(*, now: datetime.datetime | None = None) -> int:
    """Anonymise every retailer closed for longer than PRIVACY_CLOSED_RETENTION_DAYS (one transaction each, so a
    failure leaves the others done and this one untouched). Returns how many were anonymised."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PRIVACY_CLOSED_RETENTION_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(_CLOSED_DUE_SQL, [cutoff])
        due = [row[0] for row in cursor.fetchall()]
    done = 0
    for retailer_id in due:
        try:
            retailer_anonymise(
                retailer_id=retailer_id, actor=None, reason=RetailerAnonymisation.Reason.RETENTION
            )
        except ConflictError:
            continue  # anonymised meanwhile by a request
        done += 1
    return done
