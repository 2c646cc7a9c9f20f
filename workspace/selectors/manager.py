"""The customer manager's workspace (`manager_workspace`): three queries whatever the size of the route — the visit
policy and the daily list's ranking (visits.daily.selectors, without its recommendations), and one statement that
carries every other section as a JSON array (`_sections_read`: each section is a Django queryset over the manager's
own shops, compiled once per process with the request's values as named parameters and embedded as a sub-select,
so the sections are read in one round trip and a page view compiles only its scope). Each
section reads through indexes keyed by the manager's ~200 shops (route → retailer, retailer → its facts row
visits.ShopFacts — last visit, call-back signals, open complaints, kept by the database on every write —, plans,
scores, allowances), never the company's visits, complaints or order lines."""

import datetime
import functools
import json
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from core.db import queryset_sql, sql_named
from core.masking import mask_mobile
from feedback.complaints.hidden.selectors import LOW_RATING_DAYS
from feedback.complaints.models import Complaint
from feedback.complaints.selectors import overdue_q
from feedback.surveys.models import SurveyResponse
from feedback.surveys.selectors import LOW_SURVEY_DAYS
from loyalty.rewards.models import Redemption
from sales.allocation.models import AllocationAllowance, AllocationPlan
from segmentation.scoring.models import RetailerScore
from segmentation.tiers.models import TierChange
from visits.daily.selectors import AT_RISK_LIFECYCLES, CHURN_RISK_PROBABILITY, DailyEntry, daily_list
from visits.models import ShopFacts, Visit, VisitPlan

User = get_user_model()


LIST_SIZE = 8  # rows shown per section on a phone; the section's link opens the whole list
NEXT_VISITS = 3  # the next shop and the two after it
LICENCE_WINDOW_DAYS = 90


# --- the customer manager's workspace ----------------------------------------------------------------------------
@dataclass
class Workspace:
    today: datetime.date
    planned_today: int
    done_today: int
    next_visits: list[DailyEntry]
    complaints: list[dict]
    callbacks: list[dict]
    expiring: list[dict]
    expired: list[dict]
    licence_counts: dict
    at_risk: list[dict]
    allocations: list[dict]
    redemptions: list[dict] = field(default_factory=list)
    tier_changes: list[dict] = field(default_factory=list)

    @property
    def next_visit(self) -> DailyEntry | None:
        return self.next_visits[0] if self.next_visits else None


# The request's values, bound by name: every section is compiled once per process (`_sections_sql`) with these in
# place of the manager, the day and the moment, so a page view builds and compiles no queryset but the scope's.
def _param(name: str, output_field) -> RawSQL:
    return RawSQL(f"%({name})s", (), output_field=output_field)  # noqa: S611 - a named placeholder, no text


MANAGER = _param("manager", IntegerField())
TODAY = _param("today", DateField())
NOW = _param("now", DateTimeField())
LICENCE_BY = _param("licence_by", DateField())
CYCLE_TO = _param("cycle_to", DateField())
RATED_SINCE = _param("rated_since", DateTimeField())
SURVEYED_SINCE = _param("surveyed_since", DateTimeField())
# the manager's active shops: the request's scope, compiled per request into the statement's CTE `ws_shops`
SHOPS = RawSQL("SELECT id FROM ws_shops", ())


PLANNED_TODAY_SQL = f"""
SELECT plan.retailer_id FROM ws_shops shop
CROSS JOIN LATERAL (
    SELECT retailer_id FROM {VisitPlan._meta.db_table} WHERE retailer_id = shop.id AND planned_on = %(today)s
) plan
"""  # noqa: S608 - a table name from the model; the day is a parameter


def _sections_read(
    *, scope: QuerySet, params: dict, redemptions: bool, tier_changes: bool
) -> dict[str, list]:
    """Every section as a list of dicts, in one statement: WITH ws_shops AS (the scope) SELECT (SELECT
    json_agg(t) FROM (<section 1>) t) AS name1, (…) AS name2, … — one round trip, each section planned alone."""
    sql, constants, names = _sections_sql(redemptions=redemptions, tier_changes=tier_changes)
    values = {**constants, **params}
    shops = sql_named(*queryset_sql(scope.order_by().values("id")), prefix="scope", into=values)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH ws_shops AS MATERIALIZED ({shops}) {sql}", values)
        row = cursor.fetchone()
    return {
        name: (value if isinstance(value, list) else json.loads(value or "[]"))
        for name, value in zip(names, row, strict=True)
    }


@functools.cache
def _sections_sql(*, redemptions: bool, tier_changes: bool) -> tuple[str, dict, tuple[str, ...]]:
    """The sections' SELECT, its constant parameters and the sections' names, for the sections the manager's
    permissions show. Compiled once per process and shape."""
    sections = _section_querysets(redemptions=redemptions, tier_changes=tier_changes)
    parts, constants = [], {}
    for name, qs in sections.items():
        # a section is a queryset, or SQL over ws_shops with named parameters only
        sql = qs if isinstance(qs, str) else sql_named(*queryset_sql(qs), prefix=f"{name}_", into=constants)
        parts.append(
            # a compiled queryset (its values bound as parameters) and a quoted keyword name: no user text
            f"(SELECT coalesce(json_agg(t), '[]'::json) FROM ({sql}) t) AS {connection.ops.quote_name(name)}"  # noqa: S608
        )
    return "SELECT " + ", ".join(parts), constants, tuple(sections)


def _dates(rows: list[dict], *keys: str) -> list[dict]:
    """JSON carries dates and times as strings: back to date / aware datetime."""
    for row in rows:
        for key in keys:
            value = row.get(key)
            if isinstance(value, str):
                parsed = parse_datetime(value) if "T" in value or ":" in value else parse_date(value)
                if isinstance(parsed, datetime.datetime) and timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)
                row[key] = parsed
    return rows


def _complaints_assigned() -> QuerySet:
    """Open cases assigned to the manager, overdue first, then by the nearest deadline."""
    return (
        Complaint.objects.filter(assignee_id=MANAGER, status__in=Complaint.OPEN_STATUSES)
        .annotate(
            overdue=Case(
                When(overdue_q(now=NOW), then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            due=Coalesce(
                Case(When(responded_at__isnull=True, then=F("response_due")), default=F("resolution_due")),
                F("resolution_due"),
                output_field=DateTimeField(),
            ),
            shop=F("retailer__shop_name"),
            category_name=F("category__name"),
        )
        .order_by("-overdue", F("due").asc(nulls_last=True), "id")
        .values("id", "retailer_id", "shop", "category_name", "status", "priority", "overdue", "due")[
            :LIST_SIZE
        ]
    )


def _callbacks() -> QuerySet:
    """The manager's shops to call back: a complaint follow-up rated low (Complaint.LOW_RATING_MAX) in the last 90
    days, or a latest survey answer in the last 180 days scored low (SurveyResponse.LOW_SCORE) — the hidden-complaint
    rules of feedback.complaints.hidden.selectors — and no complaint filed nor call recorded since. Read from each shop's ShopFacts row (its latest low rating, latest
    survey answer, latest complaint and call, kept by the database on every write): one index probe per shop."""
    epoch = Value(datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC))
    rated = Q(low_rated_at__gte=RATED_SINCE)
    surveyed = Q(last_surveyed_at__gte=SURVEYED_SINCE)

    def within(window: Q, field_name: str, output_field):
        return Case(When(window, then=F(field_name)), default=None, output_field=output_field)

    return (
        ShopFacts.objects.filter(retailer_id__in=SHOPS)
        .annotate(
            id=F("retailer_id"),
            shop_name=F("retailer__shop_name"),
            owner_name=F("retailer__owner_name"),
            mobile=F("retailer__mobile"),
            complaint_id=within(rated, "low_rated_complaint_id", IntegerField()),
            rating=within(rated, "low_rating", IntegerField()),
            rated_at=within(rated, "low_rated_at", DateTimeField()),
            survey_score=within(surveyed, "last_survey_score", FloatField()),
            surveyed_at=within(surveyed, "last_surveyed_at", DateTimeField()),
            cleared_at=Greatest(
                Coalesce("last_call_at", epoch),
                Coalesce("last_complaint_at", epoch),
                output_field=DateTimeField(),
            ),
        )
        .filter(
            Q(rated_at__isnull=False, rated_at__gt=F("cleared_at"))
            | Q(survey_score__lt=SurveyResponse.LOW_SCORE, surveyed_at__gt=F("cleared_at"))
        )
        .order_by(F("rated_at").desc(nulls_last=True), F("surveyed_at").desc(nulls_last=True), "retailer_id")
        .values(
            "id",
            "shop_name",
            "owner_name",
            "mobile",
            "complaint_id",
            "rating",
            "rated_at",
            "survey_score",
            "surveyed_at",
        )[:LIST_SIZE]
    )


def _at_risk() -> QuerySet:
    """High-value shops whose lifecycle is at risk or lost, or whose churn probability is ≥ 50 % (the nightly
    scoring run's RetailerScore), most likely to leave first."""
    return (
        RetailerScore.objects.filter(retailer_id__in=SHOPS, value_class=RetailerScore.ValueClass.HIGH)
        .filter(Q(lifecycle__in=AT_RISK_LIFECYCLES) | Q(churn_probability__gte=CHURN_RISK_PROBABILITY))
        .annotate(shop=F("retailer__shop_name"))
        .order_by(F("churn_probability").desc(nulls_last=True), "recency_days", "retailer_id")
        .values("retailer_id", "shop", "lifecycle", "churn_probability", "last_order_on", "recency_days")[
            :LIST_SIZE
        ]
    )


def _allocations() -> QuerySet:
    """Published allocation plans of this cycle and the next week's, with the manager's shops they allow cartons
    to (the weekly notice tells the shops; the plan page explains each allowance)."""
    return (
        AllocationAllowance.objects.filter(
            retailer_id__in=SHOPS,
            plan__state=AllocationPlan.State.PUBLISHED,
            plan__cycle_end__gte=TODAY,
            plan__cycle_start__lte=CYCLE_TO,
        )
        .values("plan_id")
        .annotate(
            product=F("plan__product__name"),
            cycle_start=F("plan__cycle_start"),
            cycle_end=F("plan__cycle_end"),
            shops=Count("id", filter=Q(cartons__gt=0)),
            cartons=Coalesce(Sum("cartons"), 0),
        )
        .order_by("cycle_start", "product", "plan_id")
    )


def _section_querysets(*, redemptions: bool, tier_changes: bool) -> dict[str, QuerySet | str]:
    """The workspace's sections over the manager's active shops (SHOPS), with the request's values as named
    parameters (MANAGER, TODAY, NOW…)."""
    shops = Retailer.objects.filter(pk__in=SHOPS)
    stopped = Q(licence_expires_on__lt=TODAY) | ~Q(licence_status=Retailer.LicenceStatus.VALID)
    sections = {
        # today's plans of the manager's shops: one probe per shop of (retailer, day) — as a semi-join the planner
        # hashed the shops and read every plan of the day in the company, a cost that grows with the province
        "planned": PLANNED_TODAY_SQL,
        # the manager's own visits of today
        "done": Visit.objects.filter(manager_id=MANAGER, visited_on=TODAY, retailer_id__in=SHOPS)
        .order_by()
        .values("retailer_id")
        .distinct(),
        "complaints": _complaints_assigned(),
        "callbacks": _callbacks(),
        # the route's ~200 shops are filtered row by row: `expires` (the date + 0) keeps the planner from adding
        # the company-wide expiry index to the route's (a BitmapAnd that read every licence expiring in the window)
        "expiring": shops.annotate(
            expires=ExpressionWrapper(F("licence_expires_on") + 0, output_field=DateField())
        )
        .filter(licence_status=Retailer.LicenceStatus.VALID, expires__gte=TODAY, expires__lte=LICENCE_BY)
        .order_by("licence_expires_on", "id")
        .values("id", "shop_name", "licence_no", "licence_status", "licence_expires_on")[:LIST_SIZE],
        # supply stopped: expired, or suspended / revoked / closed whatever the date; the latest first
        "expired": shops.filter(stopped)
        .order_by("-licence_expires_on", "id")
        .values("id", "shop_name", "licence_no", "licence_status", "licence_expires_on")[:LIST_SIZE],
        "licence_counts": shops.order_by()
        .values("status")
        .annotate(
            expired=Count("id", filter=stopped),
            expiring=Count(
                "id",
                filter=Q(
                    licence_status=Retailer.LicenceStatus.VALID,
                    licence_expires_on__gte=TODAY,
                    licence_expires_on__lte=LICENCE_BY,
                ),
            ),
        )
        .values("expired", "expiring"),
        "at_risk": _at_risk(),
        "allocations": _allocations(),
    }
    if redemptions:
        sections["redemptions"] = (
            Redemption.objects.filter(status=Redemption.Status.REQUESTED, account__retailer_id__in=SHOPS)
            .annotate(
                shop=F("account__retailer__shop_name"),
                retailer_id=F("account__retailer_id"),
                reward_name=F("reward__name"),
            )
            .order_by("id")
            .values("id", "retailer_id", "shop", "reward_name", "quantity", "points")[:LIST_SIZE]
        )
    if tier_changes:
        sections["tier_changes"] = (
            TierChange.objects.filter(status=TierChange.Status.PENDING, retailer_id__in=SHOPS)
            .exclude(requested_by_id=MANAGER)
            .annotate(shop=F("retailer__shop_name"))
            .order_by("requested_at", "id")
            .values("id", "retailer_id", "shop", "from_tier", "to_tier", "reason")[:LIST_SIZE]
        )
    return sections


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def manager_workspace(*, manager: User, today: datetime.date | None = None) -> Workspace:
    """The customer manager's home, from their own active shops only (accounts.selectors.retailer_scope). Three
    queries; the sections' SQL is compiled once per process (`_sections_sql`), the scope's per request."""
    today = today or timezone.localdate()
    data = _sections_read(
        scope=retailer_scope(user=manager).filter(status=Retailer.Status.ACTIVE),
        params={
            "manager": manager.pk,
            "today": today,
            "now": timezone.now(),
            "licence_by": today + datetime.timedelta(days=LICENCE_WINDOW_DAYS),
            "cycle_to": today + datetime.timedelta(days=7),
            "rated_since": _day_start(today - datetime.timedelta(days=LOW_RATING_DAYS)),
            "surveyed_since": _day_start(today - datetime.timedelta(days=LOW_SURVEY_DAYS)),
        },
        redemptions=manager.has_perm("loyalty.change_redemption"),
        tier_changes=manager.has_perm("segmentation.approve_tierchange"),
    )
    for row in data["callbacks"]:
        row["mobile"] = mask_mobile(row["mobile"] or "")  # the full number only through the logged reveal
    for row in data["complaints"]:
        row["status_label"] = Complaint.Status(row["status"]).label
    for row in data["at_risk"]:
        row["lifecycle_label"] = RetailerScore.Lifecycle(row["lifecycle"]).label if row["lifecycle"] else ""
        row["churn_pct"] = (
            round(row["churn_probability"] * 100) if row["churn_probability"] is not None else None
        )
    for row in data["expiring"] + data["expired"]:
        row["licence_status_label"] = Retailer.LicenceStatus(row["licence_status"]).label
    planned = {row["retailer_id"] for row in data["planned"]}
    visited = {row["retailer_id"] for row in data["done"]}
    # the next three of the daily list not visited today: only that many more rows than the shops visited leave the
    # database and get their reasons worded
    entries = daily_list(manager=manager, today=today, recommend=False, limit=NEXT_VISITS + len(visited))
    counts = (data["licence_counts"] or [{"expired": 0, "expiring": 0}])[0]
    return Workspace(
        today=today,
        planned_today=len(planned),
        done_today=len(visited),
        next_visits=[e for e in entries if e.retailer.pk not in visited][:NEXT_VISITS],
        complaints=_dates(data["complaints"], "due"),
        callbacks=_dates(data["callbacks"], "rated_at", "surveyed_at"),
        expiring=_dates(data["expiring"], "licence_expires_on"),
        expired=_dates(data["expired"], "licence_expires_on"),
        licence_counts=counts,
        at_risk=_dates(data["at_risk"], "last_order_on"),
        allocations=_dates(data["allocations"], "cycle_start", "cycle_end"),
        redemptions=data.get("redemptions", []),
        tier_changes=data.get("tier_changes", []),
    )
