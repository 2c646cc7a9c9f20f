"""Every write to retailers: validation, atomic writes, consent, bulk status and tier changes. Who saw or exported
personal data is logged by accounts/sensitive.py; the history of set-based writes is written by accounts/history.py."""

import datetime
from collections.abc import Callable, Iterable
from typing import Any

import pgtrigger
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.history import RETAILER_TRIGGERS, history_context_create, retailer_events_insert_sql
from accounts.models import MAX_LICENCE_YEARS, ConsentEvent, Retailer
from accounts.parsers import id_card_normalise, licence_parse, mobile_normalise
from core.db import queryset_sql
from core.errors import StaleVersionError
from users.models import User
from users.selectors import org_units_visible, region_codes_known, route_scope

# Fields a form or API body may set; consent is changed only through retailer_consent_set, the tier and the
# credit grade only through their own engines (LOCKED_FIELDS).
EDITABLE_FIELDS = (
    "customer_code",
    "licence_no",
    "licence_issued_on",
    "licence_expires_on",
    "licence_status",
    "shop_name",
    "owner_name",
    "owner_id_number",
    "owner_birthday",
    "mobile",
    "email",
    "address",
    "latitude",
    "longitude",
    "market_type",
    "business_format",
    "scale",
    "shop_area_m2",
    "is_night_shop",
    "org_unit",
    "route",
    "delivery_route",
    "order_weekday",
    "order_channel",
    "payment_method",
    "bank_account",
    "status",
)


# Fields no generic write path changes, each with where it is changed instead: the tier (档位) only through the
# tier engine (segmentation.tiers: a published proposal, or a manual change a second person approves), the credit
# grade only through the credit rule (accounts.compliance: recomputed from the violations). Forms, the admin, the
# API and imports refuse a new value with this message; the value a record already has, sent back, is no change.
LOCKED_FIELDS = {
    "tier": gettext_lazy(
        "档位只能经档位评定修改：发布档位评定方案，或在客户页“申请调整档位”并由另一人审批"
        "（接口：/api/v1/tier-changes/）。"
    ),
    "credit_grade": gettext_lazy(
        "信用等级只能由信用规则根据违规记录评定（登记或作废违规后自动重评），不能直接修改。"
    ),
}


# A new retailer may be given its starting tier (DOMAIN: capped for new retailers); its credit grade starts at the
# model's default and follows the credit rule from then on.
CREATE_FIELDS = (*EDITABLE_FIELDS, "tier")


# The highest tier a new retailer may start at. The number is the tier engine's (TierRule.new_retailer_cap, in
# segmentation, which sits above accounts): segmentation registers its reader here when it loads.
_starting_tier_cap_source: list[Callable[[], int]] = []


def starting_tier_cap_source_register(source: Callable[[], int]) -> None:
    _starting_tier_cap_source[:] = [source]


def starting_tier_cap() -> int:
    return _starting_tier_cap_source[0]() if _starting_tier_cap_source else 24


def retailer_starting_tier_validate(*, tier: int | None, actor: User | None) -> None:
    """A new retailer's tier may not exceed the tier engine's cap for new retailers. `actor` None (a system job
    loading master data as it stands, e.g. the demo seed) is not limited."""
    if actor is None or tier is None:
        return
    cap = starting_tier_cap()
    if tier > cap:
        raise ValidationError(
            {"tier": _("新客户的起始档位不能高于 %(cap)s 档（档位评定规则中的新客户上限）。") % {"cap": cap}}
        )


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retailer_validate(*, retailer: Retailer, actor: User | None) -> None:
    """Normalise identifiers and check every rule a retailer must satisfy; raise one ValidationError naming
    each bad field. `actor` None means a system job (seed, import) with no territory limit."""
    errors: dict[str, list] = {}

    def add(field, error):
        errors.setdefault(field, []).extend(error.messages if isinstance(error, ValidationError) else [error])

    try:
        licence = licence_parse(retailer.licence_no)
        retailer.licence_no = licence.number
        known = region_codes_known()
        if licence.region_code not in known:
            add(
                "licence_no",
                _("许可证号前 6 位 %(code)s 不是本公司辖区的行政区划代码。") % {"code": licence.region_code},
            )
        elif retailer.org_unit_id:
            county_code = _county_region_code(retailer)
            if county_code and county_code != licence.region_code:
                add(
                    "licence_no",
                    _("许可证号前 6 位 %(code)s 与所属县级局的区划代码 %(county)s 不一致。")
                    % {"code": licence.region_code, "county": county_code},
                )
    except ValidationError as exc:
        add("licence_no", exc)

    if retailer.mobile:
        try:
            retailer.mobile = mobile_normalise(retailer.mobile)
        except ValidationError as exc:
            add("mobile", exc)
    if retailer.owner_id_number:
        try:
            retailer.owner_id_number = id_card_normalise(retailer.owner_id_number)
        except ValidationError as exc:
            add("owner_id_number", exc)
    if retailer.bank_account:
        retailer.bank_account = retailer.bank_account.replace(" ", "")
        if not retailer.bank_account.isdigit() or not 12 <= len(retailer.bank_account) <= 30:
            add("bank_account", _("银行账号应为 12–30 位数字。"))

    issued, expires = retailer.licence_issued_on, retailer.licence_expires_on
    if issued and expires:
        if expires <= issued:
            add("licence_expires_on", _("有效期至必须晚于发证日期。"))
        elif expires > _add_years(issued, MAX_LICENCE_YEARS):
            add(
                "licence_expires_on",
                _("许可证有效期最长 5 年：发证日期 %(issued)s 的许可证最晚 %(limit)s 到期。")
                % {"issued": issued, "limit": _add_years(issued, MAX_LICENCE_YEARS)},
            )
    if issued and issued > timezone.localdate():
        add("licence_issued_on", _("发证日期不能晚于今天。"))
    if retailer.owner_birthday and retailer.owner_birthday > timezone.localdate() - datetime.timedelta(
        days=18 * 365
    ):
        add("owner_birthday", _("负责人须年满 18 周岁，请核对生日。"))

    if retailer.route_id and retailer.org_unit_id and retailer.route.org_unit_id != retailer.org_unit_id:
        add("route", _("服务线路“%(route)s”不属于所选营销部。") % {"route": retailer.route})
    if actor is not None:
        if (
            retailer.org_unit_id
            and not org_units_visible(user=actor).filter(pk=retailer.org_unit_id).exists()
        ):
            add("org_unit", _("您无权把客户归入该单位。"))
        if retailer.route_id and not route_scope(user=actor).filter(pk=retailer.route_id).exists():
            add("route", _("您无权把客户分配到该线路。"))
        if actor.role == User.Role.MANAGER and not retailer.route_id:
            add("route", _("客户经理建档时必须选择自己的服务线路。"))

    try:
        retailer.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            for message in messages:
                add(field, message)
    if errors:
        raise ValidationError(errors)


def _county_region_code(retailer: Retailer) -> str:
    unit = retailer.org_unit
    while unit is not None:
        if unit.region_code:
            return unit.region_code
        unit = unit.parent
    return ""


@transaction.atomic
def retailer_create(*, actor: User | None, data: dict[str, Any]) -> Retailer:
    """Create a retailer. It may be given a starting tier (capped, retailer_starting_tier_validate); its credit
    grade is the credit rule's starting grade, so a different one is refused — except from a system job
    (`actor` None), which loads master data as it stands."""
    unknown = set(data) - set(CREATE_FIELDS) - {"credit_grade"}
    if unknown:
        raise ValidationError({name: _("不允许设置该字段。") for name in sorted(unknown)})
    default_grade = Retailer._meta.get_field("credit_grade").default
    if actor is not None and data.get("credit_grade", default_grade) != default_grade:
        raise ValidationError({"credit_grade": LOCKED_FIELDS["credit_grade"]})
    retailer_starting_tier_validate(tier=data.get("tier"), actor=actor)
    retailer = Retailer(**data)
    retailer_validate(retailer=retailer, actor=actor)
    retailer.save()
    return retailer


@transaction.atomic
def retailer_update(
    *,
    actor: User | None,
    retailer: Retailer,
    data: dict[str, Any],
    expected_updated_at: datetime.datetime | None = None,
) -> Retailer:
    """Apply `data` to the retailer. With `expected_updated_at`, a concurrent edit raises ConflictError rather
    than silently overwriting someone else's change. A locked field (tier, credit grade) sent with the value the
    record has is no change; any other value is refused with where it is changed (LOCKED_FIELDS)."""
    data = dict(data)
    sent_locked = {name: data.pop(name) for name in LOCKED_FIELDS if name in data}
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: _("不允许修改该字段。") for name in sorted(unknown)})
    locked = Retailer.objects.select_for_update().get(pk=retailer.pk)
    if expected_updated_at is not None and locked.updated_at != expected_updated_at:
        raise StaleVersionError(_("该客户资料已被他人修改，请刷新页面后重新编辑。"))
    refused = {
        name: [LOCKED_FIELDS[name]] for name, value in sent_locked.items() if getattr(locked, name) != value
    }
    changed = []
    for name, value in data.items():
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)
    if not changed and not refused:
        return locked
    try:
        retailer_validate(retailer=locked, actor=actor)
    except ValidationError as exc:
        raise ValidationError({**exc.message_dict, **refused}) from exc
    if refused:
        raise ValidationError(refused)
    locked.save(update_fields=[*_attnames(changed), "updated_at"])
    return locked


def _attnames(names: Iterable[str]) -> list[str]:
    return [Retailer._meta.get_field(n).name for n in names]


@transaction.atomic
def retailer_consent_set(
    *, actor: User | None, retailer: Retailer, channel: str, granted: bool, source: str
) -> Retailer:
    """Record consent or its withdrawal for one channel; a withdrawal takes effect at once."""
    if channel not in ConsentEvent.Channel.values:
        raise ValidationError({"channel": _("未知的渠道：%(channel)s") % {"channel": channel}})
    source = (source or "").strip()
    if not source:
        raise ValidationError({"source": _("请注明授权来源（如：走访书面同意、电话录音、退订短信）。")})
    if channel == ConsentEvent.Channel.EMAIL and granted and not retailer.email:
        raise ValidationError({"channel": _("该客户没有电子邮箱，无法开通邮件。")})
    locked = Retailer.objects.select_for_update().get(pk=retailer.pk)
    now = timezone.now()
    setattr(locked, f"{channel}_consent", granted)
    setattr(locked, f"{channel}_consent_at", now)
    setattr(locked, f"{channel}_consent_source", source[:50])
    locked.save(
        update_fields=[
            f"{channel}_consent",
            f"{channel}_consent_at",
            f"{channel}_consent_source",
            "updated_at",
        ]
    )
    ConsentEvent.objects.create(
        retailer=locked,
        channel=channel,
        granted=granted,
        source=source[:50],
        recorded_by=actor,
        created_at=now,
    )
    return locked


@transaction.atomic
def retailers_status_set(*, actor: User, retailer_ids: Iterable[int], status: str) -> int:
    """Bulk status change (admin action); one UPDATE, captured in history by the database triggers."""
    if status not in Retailer.Status.values:
        raise ValidationError({"status": _("未知的客户状态。")})
    from accounts.selectors import retailer_scope

    return (
        retailer_scope(user=actor)
        .filter(pk__in=list(retailer_ids))
        .update(status=status, updated_at=timezone.now())
    )


_TIER_SET_SQL = """
WITH wanted AS (
  SELECT o.id, o.tier AS old_tier, u.tier AS new_tier
  FROM unnest(%s::bigint[], %s::smallint[]) AS u(id, tier)
  JOIN accounts_retailer o ON o.id = u.id
  WHERE o.tier IS DISTINCT FROM u.tier
  FOR UPDATE OF o
), written AS (
  UPDATE accounts_retailer r SET tier = w.new_tier, updated_at = now()
  FROM wanted w WHERE r.id = w.id
  RETURNING r.*, false AS inserted, w.old_tier
), events AS (
  {events}
)
SELECT id, old_tier, tier FROM written ORDER BY id"""


def retailers_tier_set(
    *, actor: User | None, tiers: dict[int, int], reason: str, message: dict | None = None
) -> list[tuple[int, int | None, int]]:
    """Set many retailers' tiers (档位) in one statement and log one history event per changed row, set-based
    (the row triggers are off for the statement, as in the import). `actor` None means a system job; otherwise
    every retailer must be in the actor's territory. Returns (retailer id, old tier, new tier) of the rows that
    changed, by id; unchanged tiers are skipped."""
    if not tiers:
        return []
    bad = sorted(rid for rid, tier in tiers.items() if not isinstance(tier, int) or not 1 <= tier <= 30)
    if bad:
        raise ValidationError({"tier": _("档位必须在 1–30 之间（客户 %(ids)s）。") % {"ids": bad[:10]}})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写调整档位的原因。")})
    ids = [int(rid) for rid in tiers]
    with transaction.atomic(), pgtrigger.ignore(*RETAILER_TRIGGERS), connection.cursor() as cursor:
        if actor is not None:
            from accounts.selectors import retailer_scope

            # one anti-join over the id array: a publish carries up to 100k ids, too many for an IN list
            scope_sql, scope_params = queryset_sql(retailer_scope(user=actor).values("id"))
            cursor.execute(
                f"SELECT count(*) FROM unnest(%s::bigint[]) AS u(id) WHERE u.id NOT IN ({scope_sql})",  # noqa: S608
                [ids, *scope_params],
            )
            if cursor.fetchone()[0]:
                raise ValidationError({"tier": _("部分客户不在您的辖区内，不能调整其档位。")})
        context = history_context_create(user=actor, source=reason[:200], message=message)
        cursor.execute(
            _TIER_SET_SQL.format(events=retailer_events_insert_sql(source="written")),
            [ids, [tiers[rid] for rid in tiers], context],
        )
        return [(rid, old, new) for rid, old, new in cursor.fetchall()]
