"""The hidden-complaint list: retailers flagged by the registered reason sources (feedback.complaints.hidden.reasons) who
filed no complaint and were not called since the signal began. Two built-in sources are defined here."""

import dataclasses
import datetime
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.hidden.reasons import HiddenReason, ReasonSource
from feedback.complaints.models import Complaint
from feedback.surveys.selectors import low_survey_score
from sales.models import RetailerPeriodSummary
from users.models import User

RECENT_WEEKS = 4
BASE_WEEKS = 13
LOW_RATING_DAYS = 90
LIST_LIMIT = 200


def _week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def orders_fell(*, retailers: QuerySet, today: datetime.date) -> list[HiddenReason]:
    """The last 4 complete weeks' cartons, per week, fell below half the weekly average of the 13 weeks before
    (weekly period summaries; one GROUP BY over the scoped retailers). In integers: recent × 13 × 2 < base × 4."""
    until = _week_start(today)
    recent_from = until - datetime.timedelta(weeks=RECENT_WEEKS)
    base_from = recent_from - datetime.timedelta(weeks=BASE_WEEKS)
    rows = (
        RetailerPeriodSummary.objects.filter(
            period=RetailerPeriodSummary.Period.WEEK,
            period_start__gte=base_from,
            period_start__lt=until,
            retailer_id__in=retailers.values("pk"),
        )
        .values("retailer_id")
        .annotate(
            recent=Coalesce(Sum("cartons", filter=Q(period_start__gte=recent_from)), 0),
            base=Coalesce(Sum("cartons", filter=Q(period_start__lt=recent_from)), 0),
        )
        .alias(recent_scaled=F("recent") * BASE_WEEKS * 2, base_scaled=F("base") * RECENT_WEEKS)
        .filter(base__gt=0, recent_scaled__lt=F("base_scaled"))
        .values_list("retailer_id", "recent", "base")
    )
    since = _start_of(recent_from)
    reasons = []
    for retailer_id, recent, base in rows:
        recent = recent or 0
        recent_avg = recent / RECENT_WEEKS
        base_avg = base / BASE_WEEKS
        reasons.append(
            HiddenReason(
                retailer_id=retailer_id,
                code="orders-fell",
                reason=_t(
                    "订货量骤降：近 %(recent_weeks)s 周共 %(recent)s 条（周均 %(recent_avg)s），"
                    "此前 %(base_weeks)s 周周均 %(base_avg)s 条，降至 %(pct)s%%"
                )
                % {
                    "recent_weeks": RECENT_WEEKS,
                    "recent": recent,
                    "recent_avg": f"{recent_avg:.1f}",
                    "base_weeks": BASE_WEEKS,
                    "base_avg": f"{base_avg:.1f}",
                    "pct": round(100 * recent_avg / base_avg),
                },
                since=since,
                weight=2 if recent == 0 else 1,
            )
        )
    return reasons


def low_complaint_rating(*, retailers: QuerySet, today: datetime.date) -> list[HiddenReason]:
    """A complaint follow-up rated ≤ 2 in the last 90 days."""
    since = _start_of(today - datetime.timedelta(days=LOW_RATING_DAYS))
    rows = (
        Complaint.objects.filter(
            retailer__in=retailers, rating__lte=Complaint.LOW_RATING_MAX, rated_at__gte=since
        )
        .values("retailer_id")
        .annotate(last=Max("rated_at"))
        .values_list("retailer_id", "last")
    )
    ratings = dict(
        Complaint.objects.filter(
            retailer__in=retailers, rating__lte=Complaint.LOW_RATING_MAX, rated_at__gte=since
        )
        .order_by("retailer_id", "-rated_at")
        .distinct("retailer_id")
        .values_list("retailer_id", "rating")
    )
    return [
        HiddenReason(
            retailer_id=retailer_id,
            code="low-rating",
            reason=_t("投诉回访评分低：%(date)s 评 %(rating)s 分")
            % {"date": timezone.localtime(last).strftime("%Y-%m-%d"), "rating": ratings[retailer_id]},
            since=last,
            weight=2,
        )
        for retailer_id, last in rows
    ]


# every source of a hidden-complaint reason, in the order the list shows them
SOURCES = (
    ReasonSource(code="orders-fell", label=_("订货量骤降"), source=orders_fell),
    ReasonSource(code="low-rating", label=_("投诉回访低分"), source=low_complaint_rating),
    ReasonSource(code="survey-low", label=_("满意度调查低分"), source=low_survey_score),
)


def hidden_reason_sources() -> list[ReasonSource]:
    return list(SOURCES)


def reasons_for(*, retailers: QuerySet, today: datetime.date, codes: Iterable[str] | None = None):
    wanted = set(codes) if codes else None
    for registered in SOURCES:
        if wanted is None or registered.code in wanted:
            yield from registered.source(retailers=retailers, today=today)


@dataclasses.dataclass
class HiddenComplaint:
    retailer: Retailer
    reasons: list[HiddenReason]

    @property
    def weight(self) -> int:
        return sum(r.weight for r in self.reasons)


def hidden_complaints(
    *, user: User, today: datetime.date | None = None, codes=None, limit: int = LIST_LIMIT
) -> list[HiddenComplaint]:
    """Retailers the user may see that a source flags, less those who filed a complaint or were called since
    the signal began; heaviest first."""
    today = today or timezone.localdate()
    scope = retailer_scope(user=user).filter(status=Retailer.Status.ACTIVE, merged_into__isnull=True)
    by_retailer: dict[int, list[HiddenReason]] = {}
    for reason in reasons_for(retailers=scope, today=today, codes=codes):
        by_retailer.setdefault(reason.retailer_id, []).append(reason)
    if not by_retailer:
        return []
    ids = list(by_retailer)
    last_filed = dict(
        Complaint.objects.filter(retailer_id__in=ids)
        .values("retailer_id")
        .annotate(last=Max("opened_at"))
        .values_list("retailer_id", "last")
    )
    last_called = dict(
        HiddenComplaintCall.objects.filter(retailer_id__in=ids)
        .values("retailer_id")
        .annotate(last=Max("called_at"))
        .values_list("retailer_id", "last")
    )
    for retailer_id in ids:
        cleared = max(filter(None, [last_filed.get(retailer_id), last_called.get(retailer_id)]), default=None)
        kept = [r for r in by_retailer[retailer_id] if cleared is None or cleared < r.since]
        if kept:
            by_retailer[retailer_id] = kept
        else:
            del by_retailer[retailer_id]
    retailers = Retailer.objects.select_related("route__manager").in_bulk(list(by_retailer))
    rows = [HiddenComplaint(retailer=retailers[pk], reasons=reasons) for pk, reasons in by_retailer.items()]
    rows.sort(key=lambda row: (-row.weight, row.retailer.shop_name, row.retailer.pk))
    return rows[:limit]
