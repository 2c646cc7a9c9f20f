"""The shop facts (visits.ShopFacts, CultivationTarget.first_bought_on) computed afresh from their source rows with
the ORM, independently of the database functions that keep them, and compared with what is stored: the check behind
`manage.py shop_facts --check` and the tests that write through every path."""

from collections.abc import Iterable

from django.db.models import Exists, Max, Min, OuterRef, Subquery

from feedback.complaints.hidden.models import HiddenComplaintCall
from feedback.complaints.models import Complaint
from feedback.surveys.models import SurveyResponse
from sales.models import Order, OrderLine
from visits.models import CultivationTarget, ShopFacts, Visit

FACT_FIELDS = (
    "last_visit_on",
    "store_score",
    "open_complaints",
    "last_complaint_at",
    "low_rated_complaint_id",
    "low_rating",
    "low_rated_at",
    "last_survey_score",
    "last_surveyed_at",
    "last_call_at",
)
EMPTY = dict.fromkeys(FACT_FIELDS) | {"open_complaints": 0}


def shop_facts_expected(*, retailer_ids: Iterable[int]) -> dict[int, dict]:
    """{retailer id: facts} for the given shops, from visits, complaints, survey answers and call-backs; a shop
    with none of them has EMPTY facts."""
    ids = list(retailer_ids)
    facts = {rid: dict(EMPTY) for rid in ids}
    for row in (
        Visit.objects.filter(retailer_id__in=ids).values("retailer_id").annotate(day=Max("visited_on"))
    ):
        facts[row["retailer_id"]]["last_visit_on"] = row["day"]
    scored = (
        Visit.objects.filter(retailer_id__in=ids, store_score__isnull=False)
        .exclude(trust=Visit.Trust.REJECTED)
        .order_by("retailer_id", "-visited_on", "-id")
        .distinct("retailer_id")
        .values_list("retailer_id", "store_score")
    )
    for rid, score in scored:
        facts[rid]["store_score"] = score
    for c in Complaint.objects.filter(retailer_id__in=ids).values(
        "id", "retailer_id", "status", "opened_at", "rating", "rated_at"
    ):
        f = facts[c["retailer_id"]]
        f["open_complaints"] += c["status"] in Complaint.OPEN_STATUSES
        f["last_complaint_at"] = max(filter(None, (f["last_complaint_at"], c["opened_at"])), default=None)
        low = (
            c["rating"] is not None and c["rating"] <= Complaint.LOW_RATING_MAX and c["rated_at"] is not None
        )
        if low and (
            f["low_rated_at"] is None
            or (c["rated_at"], c["id"]) > (f["low_rated_at"], f["low_rated_complaint_id"])
        ):
            f |= {"low_rated_complaint_id": c["id"], "low_rating": c["rating"], "low_rated_at": c["rated_at"]}
    surveys = (
        SurveyResponse.objects.filter(retailer_id__in=ids, overall_score__isnull=False)
        .order_by("retailer_id", "-submitted_at", "-id")
        .distinct("retailer_id")
        .values_list("retailer_id", "overall_score", "submitted_at")
    )
    for rid, score, at in surveys:
        facts[rid] |= {"last_survey_score": score, "last_surveyed_at": at}
    calls = (
        HiddenComplaintCall.objects.filter(retailer_id__in=ids)
        .values("retailer_id")
        .annotate(at=Max("called_at"))
    )
    for row in calls:
        facts[row["retailer_id"]]["last_call_at"] = row["at"]
    return facts


def targets_bought_expected(*, target_ids: Iterable[int] | None = None) -> dict[int, object]:
    """{target id: the day of its first order of the programme's product on or after the start, or None}."""
    targets = CultivationTarget.objects.all()
    if target_ids is not None:
        targets = targets.filter(pk__in=list(target_ids))
    bought = (
        Order.objects.filter(
            retailer_id=OuterRef("retailer_id"), ordered_on__gte=OuterRef("programme__starts_on")
        )
        .filter(
            Exists(
                OrderLine.objects.filter(
                    order_id=OuterRef("pk"),
                    ordered_on=OuterRef("ordered_on"),
                    product_id=OuterRef(OuterRef("programme__product_id")),
                )
            )
        )
        .order_by()
        .values("retailer_id")
        .annotate(day=Min("ordered_on"))
        .values("day")
    )
    return dict(targets.annotate(day=Subquery(bought)).values_list("pk", "day"))


def shop_facts_drift(*, retailer_ids: Iterable[int] | None = None) -> list[str]:
    """Every difference between the stored facts and a fresh computation, in words (empty when none): shops of
    `retailer_ids`, or every shop with a stored row or a source row."""
    if retailer_ids is None:
        retailer_ids = set(ShopFacts.objects.values_list("retailer_id", flat=True))
        for model in (Visit, Complaint, SurveyResponse, HiddenComplaintCall):
            retailer_ids |= set(model.objects.values_list("retailer_id", flat=True).distinct())
    expected = shop_facts_expected(retailer_ids=retailer_ids)
    stored = {
        row["retailer_id"]: row
        for row in ShopFacts.objects.filter(retailer_id__in=list(expected)).values(
            "retailer_id", *FACT_FIELDS
        )
    }
    problems = []
    for rid, want in sorted(expected.items()):
        have = stored.get(rid)
        if have is None:
            if want != EMPTY:
                problems.append(f"shop {rid}: no facts row, expected {want}")
            continue
        for name in FACT_FIELDS:
            if have[name] != want[name]:
                problems.append(f"shop {rid}: {name} is {have[name]!r}, expected {want[name]!r}")
    stored_days = dict(CultivationTarget.objects.values_list("pk", "first_bought_on"))
    for tid, day in sorted(targets_bought_expected().items()):
        if stored_days.get(tid) != day:
            problems.append(
                f"cultivation target {tid}: first_bought_on is {stored_days.get(tid)!r}, expected {day!r}"
            )
    return problems
