"""Triggered journeys. Once a day at its send time an enabled journey finds today's recipients and sends them as
one campaign occurrence (keyed by day, or by product), so a journey never sends the same occurrence twice and a
missed day is caught up (up to a week back). Event-driven journeys (welcome, win-back) read the events of the
window since the previous day's run, so consecutive runs never overlap."""

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.compliance.models import Violation
from accounts.models import Retailer
from campaigns.calendar import HOLIDAY_NAMES, holidays_on
from campaigns.models import Campaign, Journey, Purpose
from campaigns.services.campaigns import occurrence_start, unit_within
from sales.allocation.selectors import coming_cycle_day, retailers_with_allowance
from sales.models import OrderLine, Product
from segmentation.scoring.models import ScoringEvent
from users.models import OrgUnit, User

logger = logging.getLogger(__name__)
CATCH_UP_DAYS = 7
PURCHASE_LOOKBACK_DAYS = 92  # "bought it in the last 3 months"
LICENCE_REMINDER_DAYS = (90, 60, 30)
SUPPLY_NOTICE_WEEKDAY = 5  # ISO weekday: Friday, before the coming week's ordering
PURPOSES = {
    Journey.Kind.BIRTHDAY: Purpose.NOTICE,
    Journey.Kind.HOLIDAY: Purpose.NOTICE,
    Journey.Kind.LICENCE_EXPIRY: Purpose.NOTICE,
    Journey.Kind.WELCOME: Purpose.NOTICE,
    Journey.Kind.WIN_BACK: Purpose.MARKETING,
    Journey.Kind.PRODUCT_WITHDRAWN: Purpose.NOTICE,
    Journey.Kind.NEW_PRODUCT: Purpose.MARKETING,
    Journey.Kind.SUPPLY_NOTICE: Purpose.NOTICE,
    Journey.Kind.COMPLIANCE_REMINDER: Purpose.NOTICE,
}
JOURNEY_FIELDS = ("enabled", "channel", "template", "send_time", "holdout_pct", "params")


def _window(journey: Journey, day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """[yesterday at send time, today at send time): the events one day's run answers."""
    tz = timezone.get_current_timezone()
    end = timezone.make_aware(datetime.datetime.combine(day, journey.send_time), tz)
    return end - datetime.timedelta(days=1), end


def _active(qs: QuerySet) -> QuerySet:
    return qs.filter(status=Retailer.Status.ACTIVE, merged_into__isnull=True)


def _birthday(journey, day):
    birthdays = Q(owner_birthday__month=day.month, owner_birthday__day=day.day)
    if day.month == 2 and day.day == 28 and not _is_leap(day.year):
        birthdays |= Q(owner_birthday__month=2, owner_birthday__day=29)
    yield day.isoformat(), _active(Retailer.objects.filter(birthdays)), {}, ()


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _holiday(journey, day):
    for key in holidays_on(day, wanted=journey.params.get("holidays")):
        context = {"holiday": str(HOLIDAY_NAMES[key])}
        yield f"{day.isoformat()}:{key}", _active(Retailer.objects.all()), context, ()


def _licence_expiry(journey, day):
    for days in journey.params.get("days") or LICENCE_REMINDER_DAYS:
        expiring = Retailer.objects.filter(licence_expires_on=day + datetime.timedelta(days=int(days)))
        yield f"{day.isoformat()}:{int(days)}", _active(expiring), {}, ()


def _welcome(journey, day):
    start, end = _window(journey, day)
    yield day.isoformat(), _active(Retailer.objects.filter(created_at__gte=start, created_at__lt=end)), {}, ()


def _win_back(journey, day):
    start, end = _window(journey, day)
    lost = ScoringEvent.objects.filter(
        retailer=OuterRef("pk"), kind=ScoringEvent.Kind.BECAME_LOST, at__gte=start, at__lt=end
    )
    yield day.isoformat(), _active(Retailer.objects.filter(Exists(lost))), {}, ()


def _product_withdrawn(journey, day):
    start, end = _window(journey, day)
    products = Product.objects.filter(
        status=Product.Status.WITHDRAWN, updated_at__gte=start, updated_at__lt=end
    ).select_related("substitute")
    since = day - datetime.timedelta(days=PURCHASE_LOOKBACK_DAYS)
    for product in products:
        bought = OrderLine.objects.filter(
            order__retailer=OuterRef("pk"),
            product=product,
            order__ordered_on__gte=since,
            ordered_on__gte=since,
        )
        context = {
            "product": str(product),
            "substitute": str(product.substitute) if product.substitute else "",
        }
        promoted = (product.substitute,) if product.substitute else ()
        yield f"product:{product.pk}", _active(Retailer.objects.filter(Exists(bought))), context, promoted


def _new_product(journey, day):
    products = Product.objects.filter(status=Product.Status.TRIAL, trial_started_on=day)
    audience = _active(Retailer.objects.all())
    segment_id = journey.params.get("segment")
    if segment_id:
        from segmentation.segments.models import Segment
        from segmentation.segments.selectors import segment_members

        segment = Segment.objects.filter(pk=segment_id).first()
        audience = _active(segment_members(segment=segment)) if segment else Retailer.objects.none()
    for product in products:
        yield f"product:{product.pk}", audience, {"product": str(product)}, (product,)


def _supply_notice(journey, day):
    """Retailers with a non-zero allowance in the coming cycle's published plans, on the notice's weekday."""
    weekday = journey.params.get("weekday", SUPPLY_NOTICE_WEEKDAY)
    if day.isoweekday() != weekday:
        return
    cycle_day = coming_cycle_day(day)
    yield f"cycle:{cycle_day.isoformat()}", _active(retailers_with_allowance(day=cycle_day)), {}, ()


def _compliance_reminder(journey, day):
    """Retailers with a violation recorded since the previous run: each violation falls in exactly one day's window,
    and the occurrence key and the delivery's uniqueness make it one message."""
    start, end = _window(journey, day)
    recorded = Violation.objects.filter(
        retailer=OuterRef("pk"), recorded_at__gte=start, recorded_at__lt=end, voided_at__isnull=True
    )
    yield day.isoformat(), _active(Retailer.objects.filter(Exists(recorded))), {}, ()


AUDIENCES = {
    Journey.Kind.BIRTHDAY: _birthday,
    Journey.Kind.HOLIDAY: _holiday,
    Journey.Kind.LICENCE_EXPIRY: _licence_expiry,
    Journey.Kind.WELCOME: _welcome,
    Journey.Kind.WIN_BACK: _win_back,
    Journey.Kind.PRODUCT_WITHDRAWN: _product_withdrawn,
    Journey.Kind.NEW_PRODUCT: _new_product,
    Journey.Kind.SUPPLY_NOTICE: _supply_notice,
    Journey.Kind.COMPLIANCE_REMINDER: _compliance_reminder,
}


def journey_occurrences(*, journey: Journey, day: datetime.date):
    """(key, audience, template context, promoted products) for every occurrence `journey` has on `day`."""
    yield from AUDIENCES[journey.kind](journey, day)


@transaction.atomic
def journey_run_day(*, journey: Journey, day: datetime.date, now: datetime.datetime) -> list[Campaign]:
    """Start the journey's occurrences for `day`; an occurrence that exists already, or has nobody to reach in
    the journey's unit, is skipped."""
    started = []
    for key, audience, context, promoted in journey_occurrences(journey=journey, day=day):
        if Campaign.objects.filter(journey=journey, occurrence_key=key).exists():
            continue
        audience = audience.filter(org_unit__path__startswith=journey.org_unit.path)
        if not audience.exists():
            continue
        # a person's name for the run: the journey, what it is about (the holiday, the product) and the day — not
        # the occurrence key ("2026-02-17:spring_festival"), which stays the machine's identity of the run
        about = context.get("holiday") or context.get("product") or ""
        name = " · ".join(
            str(part) for part in (Journey.Kind(journey.kind).label, about, day.isoformat()) if part
        )
        occurrence = Campaign.objects.create(
            name=name[:100],
            org_unit=journey.org_unit,
            channel=journey.channel,
            purpose=PURPOSES[journey.kind],
            template=journey.template,
            journey=journey,
            occurrence_key=key,
            holdout_pct=journey.holdout_pct,
            quiet_start=Campaign._meta.get_field("quiet_start").default,
            quiet_end=Campaign._meta.get_field("quiet_end").default,
            context=context,
            state=Campaign.State.SCHEDULED,
            approved_by=journey.updated_by,
            approved_at=journey.updated_at,
            send_at=now,
        )
        occurrence.promoted_products.set([p for p in promoted if p is not None])
        started.append(occurrence_start(occurrence=occurrence, audience=audience, now=now))
    return started


def journeys_run_due(*, now: datetime.datetime | None = None) -> list[Campaign]:
    """Every enabled journey whose send time has passed today and that has not run today: run each day since its
    last run (at most a week back), then mark today done."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    started = []
    due = Journey.objects.filter(enabled=True, template__isnull=False, send_time__lte=local.time()).filter(
        Q(last_run_on__isnull=True) | Q(last_run_on__lt=today)
    )
    for journey_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            journey = (
                Journey.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("org_unit", "template")
                .filter(pk=journey_id, enabled=True)
                .first()
            )
            if journey is None or (journey.last_run_on and journey.last_run_on >= today):
                continue
            first = today if journey.last_run_on is None else journey.last_run_on + datetime.timedelta(days=1)
            first = max(first, today - datetime.timedelta(days=CATCH_UP_DAYS - 1))
            day = first
            while day <= today:
                started.extend(journey_run_day(journey=journey, day=day, now=now))
                day += datetime.timedelta(days=1)
            journey.last_run_on = today
            journey.save(update_fields=["last_run_on", "updated_at"])
    return started


# ---- editing ------------------------------------------------------------------------------------------------------
def journey_may_edit(*, user: User, journey: Journey) -> bool:
    return user.has_perm("campaigns.change_journey") and unit_within(user=user, org_unit=journey.org_unit)


@transaction.atomic
def journeys_ensure(*, org_unit: OrgUnit) -> list[Journey]:
    """One journey of every kind for the unit (switched off until a supervisor sets it up)."""
    existing = {j.kind: j for j in Journey.objects.filter(org_unit=org_unit)}
    for kind in Journey.Kind:
        if kind not in existing:
            params = {"days": list(LICENCE_REMINDER_DAYS)} if kind == Journey.Kind.LICENCE_EXPIRY else {}
            if kind == Journey.Kind.HOLIDAY:
                params = {"holidays": list(HOLIDAY_NAMES)}
            existing[kind] = Journey.objects.create(org_unit=org_unit, kind=kind, params=params)
    return [existing[kind] for kind in Journey.Kind]


@transaction.atomic
def journey_update(*, actor: User, journey: Journey, data: dict[str, Any]) -> Journey:
    journey = Journey.objects.select_for_update().select_related("org_unit").get(pk=journey.pk)
    if not journey_may_edit(user=actor, journey=journey):
        raise PermissionDenied(_("您没有此操作的权限。"))
    changed = [k for k, v in data.items() if k in JOURNEY_FIELDS and getattr(journey, k) != v]
    for name in changed:
        setattr(journey, name, data[name])
    errors = {}
    if journey.enabled:
        template = journey.template
        if template is None:
            errors["template"] = _("启用前请选择模板。")
        elif template.channel != journey.channel:
            errors["template"] = _("模板的渠道与触达渠道不一致。")
        elif not journey.org_unit.path.startswith(template.org_unit.path):
            errors["template"] = _("只能使用本单位或上级单位的模板。")
    if journey.kind == Journey.Kind.LICENCE_EXPIRY:
        days = journey.params.get("days") or []
        if not days or any(not isinstance(d, int) or not 1 <= d <= 365 for d in days):
            errors["params"] = _("提前天数须为 1–365 之间的整数，例如 90、60、30。")
    if journey.kind == Journey.Kind.NEW_PRODUCT and journey.params.get("segment"):
        from segmentation.segments.models import Segment

        segment = Segment.objects.select_related("org_unit").filter(pk=journey.params["segment"]).first()
        if segment is None or not (
            journey.org_unit.path.startswith(segment.org_unit.path)
            or segment.org_unit.path.startswith(journey.org_unit.path)
        ):
            errors["params"] = _("客群不属于该单位。")
    if journey.kind == Journey.Kind.SUPPLY_NOTICE and journey.params.get("weekday", 5) not in range(1, 8):
        errors["params"] = _("每周发送日须为周一到周日（1–7）。")
    if journey.kind == Journey.Kind.HOLIDAY:
        unknown = set(journey.params.get("holidays") or []) - set(HOLIDAY_NAMES)
        if unknown or not journey.params.get("holidays"):
            errors["params"] = _("请选择要问候的节日。")
    if errors:
        raise ValidationError(errors)
    journey.updated_by = actor
    journey.full_clean(exclude=["template", "org_unit", "updated_by"])
    journey.save(update_fields=[*changed, "updated_by", "updated_at"])
    return journey
