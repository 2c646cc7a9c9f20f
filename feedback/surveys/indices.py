"""Satisfaction indices: a survey's weighted index, NPS and area scores, and the quarterly trends in total, by
department and by customer manager. Set-based (one GROUP BY each) over the responses the user may see; every mean
is weighted by the sampling weights (stratum population ÷ sample), so a stratum sampled heavily (the minimum per
stratum) does not outweigh its share of the population."""

from dataclasses import dataclass

from django.db.models import Avg, Count, F, FloatField, Min, Q, Sum
from django.utils.translation import gettext as _

from feedback.surveys.models import Survey, SurveyAreaScore
from feedback.surveys.selectors import scoped_responses
from users.models import User

TREND_QUARTERS = 8


def _index_aggregates(prefix: str = "") -> dict:
    """Weighted satisfaction index and NPS of a set of responses, as aggregate expressions."""
    weight, score, nps = F(f"{prefix}weight"), F(f"{prefix}overall_score"), f"{prefix}nps_value"
    scored = Q(**{f"{prefix}overall_score__isnull": False})
    return {
        "responses": Count(f"{prefix}id" if prefix else "id"),
        "score_sum": Sum(score * weight, filter=scored, output_field=FloatField()),
        "score_weight": Sum(weight, filter=scored, output_field=FloatField()),
        "promoters": Sum(weight, filter=Q(**{f"{nps}__gte": 9}), output_field=FloatField()),
        "detractors": Sum(weight, filter=Q(**{f"{nps}__lte": 6}), output_field=FloatField()),
        "nps_weight": Sum(weight, filter=Q(**{f"{nps}__isnull": False}), output_field=FloatField()),
        "raw_score": Avg(score, filter=scored),
    }


def _finish(row: dict) -> dict:
    """Turn the sums of `_index_aggregates` into index (0–100), NPS (−100…100) and the unweighted mean."""
    index = row["score_sum"] / row["score_weight"] if row.get("score_weight") else None
    nps = (
        ((row["promoters"] or 0) - (row["detractors"] or 0)) / row["nps_weight"] * 100
        if row.get("nps_weight")
        else None
    )
    return {**row, "index": index, "nps": nps}


@dataclass
class Indices:
    responses: int
    index: float | None  # weighted
    unweighted_index: float | None
    nps: float | None  # weighted
    areas: list[dict]  # name, weight, score (weighted)


def survey_indices(*, user: User, survey: Survey) -> Indices:
    responses = scoped_responses(user=user).filter(survey=survey)
    row = _finish(responses.aggregate(**_index_aggregates()))
    areas = (
        SurveyAreaScore.objects.filter(response__in=responses.values("id"))
        .order_by()
        .values("area_id", "area__name", "area__weight", "area__position")
        .annotate(
            total=Sum(F("score") * F("response__weight"), output_field=FloatField()),
            weights=Sum("response__weight", output_field=FloatField()),
            answered=Count("id"),
        )
        .order_by("area__position")
    )
    return Indices(
        responses=row["responses"],
        index=row["index"],
        unweighted_index=row["raw_score"],
        nps=row["nps"],
        areas=[
            {
                "area_id": a["area_id"],
                "name": a["area__name"],
                "weight": a["area__weight"],
                "score": a["total"] / a["weights"] if a["weights"] else None,
                "responses": a["answered"],
            }
            for a in areas
        ],
    )


# ---- trends ------------------------------------------------------------------------------------------------------
GROUPS = {
    "total": None,
    "org_unit": ("retailer__org_unit_id", "retailer__org_unit__name"),
    "manager": ("retailer__route__manager_id", "retailer__route__manager__display_name"),
    "area": None,
}


def index_trend(*, user: User, by: str = "total", quarters: int = TREND_QUARTERS) -> list[dict]:
    """Weighted index and NPS per quarter (the survey's period), in total or per org unit / customer manager of
    the retailer: one GROUP BY over the responses the user may see."""
    responses = scoped_responses(user=user).filter(
        survey__state__in=[Survey.State.FIELDWORK, Survey.State.CLOSED]
    )
    periods = list(
        responses.order_by("-survey__period").values_list("survey__period", flat=True).distinct()[:quarters]
    )
    responses = responses.filter(survey__period__in=periods)
    keys = ["survey__period"]
    if GROUPS.get(by):
        keys += list(GROUPS[by])
    rows = responses.order_by().values(*keys).annotate(**_index_aggregates()).order_by(*keys)
    out = []
    for row in rows:
        row = _finish(row)
        item = {
            "period": row["survey__period"],
            "index": row["index"],
            "nps": row["nps"],
            "responses": row["responses"],
        }
        if GROUPS.get(by):
            item["key"] = row[GROUPS[by][0]]
            item["label"] = row[GROUPS[by][1]] or _("（未分配）")
        out.append(item)
    return out


def area_trend(*, user: User, quarters: int = TREND_QUARTERS) -> list[dict]:
    """Weighted area score per quarter and area name (areas of different questionnaire versions share a name)."""
    responses = scoped_responses(user=user)
    periods = list(
        responses.order_by("-survey__period").values_list("survey__period", flat=True).distinct()[:quarters]
    )
    rows = (
        SurveyAreaScore.objects.filter(response__in=responses.filter(survey__period__in=periods).values("id"))
        .order_by()
        .values("response__survey__period", "area__name")
        .annotate(
            total=Sum(F("score") * F("response__weight"), output_field=FloatField()),
            weights=Sum("response__weight", output_field=FloatField()),
            position=Min("area__position"),
        )
        .order_by("response__survey__period", "position", "area__name")
    )
    return [
        {"period": r["response__survey__period"], "area": r["area__name"], "score": r["total"] / r["weights"]}
        for r in rows
    ]
