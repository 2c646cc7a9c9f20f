"""Reads of the survey side, each scoped by `accounts.selectors.retailer_scope`: a customer manager sees the surveys
that sampled their retailers and only those retailers' answers and indices; a supervisor their unit's; an admin
all. Another territory's survey or response answers 404.

The indices and trends built on these responses are in feedback.surveys.indices."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from accounts.selectors import retailer_scope
from feedback.complaints.hidden.reasons import HiddenReason
from feedback.surveys.models import (
    QuestionArea,
    Questionnaire,
    Survey,
    SurveyExport,
    SurveyInvitation,
    SurveyResponse,
    SurveyStratum,
)
from users.models import User


# ---- questionnaires ----------------------------------------------------------------------------------------------
def questionnaire_list(*, state: str | None = None) -> QuerySet[Questionnaire]:
    qs = Questionnaire.objects.annotate(
        area_count=Count("areas", distinct=True), item_count=Count("areas__items", distinct=True)
    )
    return qs.filter(state=state) if state else qs


def questionnaire_get(*, questionnaire_id: int) -> Questionnaire:
    return get_object_or_404(Questionnaire, pk=questionnaire_id)


def questionnaire_areas_with_items(*, questionnaire: Questionnaire) -> list[QuestionArea]:
    return list(questionnaire.areas.prefetch_related("items").order_by("position", "id"))


# ---- surveys -------------------------------------------------------------------------------------------------------
def survey_scope(*, user: User) -> QuerySet[Survey]:
    """Surveys of the user's unit (or above it, reaching into it) that sampled a retailer the user may see, and
    every survey of the user's own subtree (a supervisor sees a draft before it has a sample)."""
    surveys = Survey.objects.all()
    if not user.is_authenticated or not user.is_active:
        return surveys.none()
    if user.is_company_admin:
        return surveys
    sampled_mine = Exists(
        SurveyInvitation.objects.filter(
            survey=OuterRef("pk"), retailer__in=retailer_scope(user=user).values("id")
        )
    )
    if user.role == User.Role.MANAGER or not user.org_unit_id:
        return surveys.filter(sampled_mine)
    return surveys.filter(Q(org_unit__path__startswith=user.org_unit.path) | sampled_mine)


def survey_list(*, user: User, filters: dict | None = None) -> QuerySet[Survey]:
    filters = filters or {}
    qs = survey_scope(user=user).select_related("questionnaire", "org_unit", "segment")
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("period"):
        qs = qs.filter(period=filters["period"])
    return qs.order_by("-period", "-id")


def survey_periods(*, user: User) -> QuerySet:
    return survey_scope(user=user).order_by("-period").values_list("period", flat=True).distinct()


def survey_get(*, user: User, survey_id: int) -> Survey:
    return get_object_or_404(
        survey_scope(user=user).select_related(
            "questionnaire", "org_unit", "segment", "campaign", "created_by"
        ),
        pk=survey_id,
    )


def _scoped_invitations(*, user: User, survey: Survey) -> QuerySet[SurveyInvitation]:
    return SurveyInvitation.objects.filter(survey=survey, retailer__in=retailer_scope(user=user).values("id"))


def scoped_responses(*, user: User) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(retailer__in=retailer_scope(user=user).values("id"))


@dataclass
class StratumProgress:
    stratum: SurveyStratum
    sampled: int
    invited: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.invited * 100 if self.invited else None


@dataclass
class Progress:
    strata: list[StratumProgress]
    sampled: int
    invited: int
    answered: int
    population: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.invited * 100 if self.invited else None


def survey_progress(*, user: User, survey: Survey) -> Progress:
    """Sampled, invited and answered per stratum (one GROUP BY), within what the user may see."""
    counts = {
        row["stratum_id"]: row
        for row in _scoped_invitations(user=user, survey=survey)
        .order_by()
        .values("stratum_id")
        .annotate(
            sampled=Count("id"),
            invited=Count("id", filter=Q(invited_at__isnull=False)),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
        )
    }
    strata = []
    for stratum in survey.strata.all():
        row = counts.get(stratum.pk, {})
        strata.append(
            StratumProgress(
                stratum=stratum,
                sampled=row.get("sampled", 0),
                invited=row.get("invited", 0),
                answered=row.get("answered", 0),
            )
        )
    return Progress(
        strata=strata,
        sampled=sum(s.sampled for s in strata),
        invited=sum(s.invited for s in strata),
        answered=sum(s.answered for s in strata),
        population=sum(s.stratum.population for s in strata),
    )


def response_list(*, user: User, survey: Survey | None = None) -> QuerySet[SurveyResponse]:
    qs = scoped_responses(user=user).select_related("retailer", "survey")
    if survey is not None:
        qs = qs.filter(survey=survey)
    return qs


RESPONSE_PAGE = 50


def response_page(
    *,
    user: User,
    survey: Survey,
    before: int | None = None,
    low_only: bool = False,
    size: int = RESPONSE_PAGE,
) -> tuple[list[SurveyResponse], int | None]:
    """One keyset page of a survey's responses, newest first (no OFFSET, no COUNT): (rows, next cursor)."""
    qs = response_list(user=user, survey=survey).select_related(
        "retailer__route__manager", "invitation__stratum"
    )
    if low_only:
        qs = qs.filter(overall_score__lt=SurveyResponse.LOW_SCORE)
    if before:
        qs = qs.filter(pk__lt=before)
    rows = list(qs.order_by("-id")[: size + 1])
    return rows[:size], (rows[size - 1].pk if len(rows) > size else None)


def response_get(*, user: User, response_id: int) -> SurveyResponse:
    return get_object_or_404(
        response_list(user=user).prefetch_related("answers__item", "area_scores__area"), pk=response_id
    )


def response_rates(*, user: User, surveys: QuerySet[Survey]) -> dict[int, dict]:
    """Invited and answered per survey (one GROUP BY), within what the user may see."""
    rows = (
        SurveyInvitation.objects.filter(
            survey__in=surveys.values("id"), retailer__in=retailer_scope(user=user).values("id")
        )
        .order_by()
        .values("survey_id")
        .annotate(
            sampled=Count("id"),
            invited=Count("id", filter=Q(invited_at__isnull=False)),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
        )
    )
    return {r["survey_id"]: r for r in rows}


# ---- export ------------------------------------------------------------------------------------------------------
def survey_export_rows(*, user: User, survey: Survey):
    """Header, then one row per response the user may see, one column per item (streamed)."""
    items = [
        item
        for area in questionnaire_areas_with_items(questionnaire=survey.questionnaire)
        for item in area.items.all()
    ]
    areas = questionnaire_areas_with_items(questionnaire=survey.questionnaire)
    yield [
        _("客户编码"),
        _("店铺名称"),
        _("分层"),
        _("抽样权重"),
        _("提交时间"),
        _("综合得分"),
        _("推荐度"),
        *[f"{a.name}{_('得分')}" for a in areas],
        *[item.text for item in items],
    ]
    responses = (
        response_list(user=user, survey=survey)
        .select_related("invitation__stratum")
        .prefetch_related("answers", "area_scores")
        .order_by("id")
    )
    for response in responses.iterator(chunk_size=500):
        answers = {a.item_id: a for a in response.answers.all()}
        scores = {s.area_id: s.score for s in response.area_scores.all()}
        yield [
            response.retailer.customer_code,
            response.retailer.shop_name,
            response.invitation.stratum.code,
            f"{response.weight:.3f}",
            timezone.localtime(response.submitted_at).strftime("%Y-%m-%d %H:%M"),
            "" if response.overall_score is None else f"{response.overall_score:.1f}",
            "" if response.nps_value is None else response.nps_value,
            *["" if a.pk not in scores else f"{scores[a.pk]:.1f}" for a in areas],
            *[
                ""
                if item.pk not in answers
                else (
                    answers[item.pk].number if answers[item.pk].number is not None else answers[item.pk].text
                )
                for item in items
            ],
        ]


def survey_export_list(*, user: User) -> QuerySet[SurveyExport]:
    return SurveyExport.objects.filter(survey__in=survey_scope(user=user).values("id")).select_related(
        "user", "survey"
    )


# ---- for other parts of the app ----------------------------------------------------------------------------------
def _latest_responses(*, since: datetime.datetime, retailers: QuerySet | None = None):
    """Each retailer's latest scored survey answer since `since` (one DISTINCT ON query)."""
    qs = SurveyResponse.objects.filter(submitted_at__gte=since, overall_score__isnull=False)
    if retailers is not None:
        qs = qs.filter(retailer__in=retailers)
    return (
        qs.order_by("retailer_id", "-submitted_at", "-id")
        .distinct("retailer_id")
        .values("retailer_id", "overall_score", "survey__period", "submitted_at")
    )


def _low_reason(row, threshold) -> str:
    return _("%(period)s 满意度调查综合得分 %(score).1f 分（低于 %(threshold)s 分）") % {
        "period": row["survey__period"],
        "score": row["overall_score"],
        "threshold": threshold,
    }


def retailers_rated_low(*, since: datetime.date | datetime.datetime, threshold: float) -> dict[int, str]:
    """Retailers whose latest survey answer since `since` scored below `threshold` (0–100): id → reason text."""
    if isinstance(since, datetime.date) and not isinstance(since, datetime.datetime):
        since = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    return {
        r["retailer_id"]: _low_reason(r, threshold)
        for r in _latest_responses(since=since)
        if r["overall_score"] < threshold
    }


LOW_SURVEY_DAYS = 180


def low_survey_score(*, retailers: QuerySet, today: datetime.date) -> list[HiddenReason]:
    """A hidden-complaint source: the retailer's latest survey answer in the last 180 days scored low (below
    SurveyResponse.LOW_SCORE)."""
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=LOW_SURVEY_DAYS), datetime.time.min)
    )
    return [
        HiddenReason(
            retailer_id=r["retailer_id"],
            code="survey-low",
            reason=_low_reason(r, SurveyResponse.LOW_SCORE),
            since=r["submitted_at"],
            weight=2,
        )
        for r in _latest_responses(since=since, retailers=retailers)
        if r["overall_score"] < SurveyResponse.LOW_SCORE
    ]


def open_invitation(*, retailer: Retailer) -> SurveyInvitation | None:
    """The retailer's newest unanswered invitation to a survey still in the field (for its hub)."""
    return (
        SurveyInvitation.objects.filter(
            retailer=retailer,
            answered_at__isnull=True,
            invited_at__isnull=False,
            survey__state=Survey.State.FIELDWORK,
        )
        .select_related("survey")
        .order_by("-invited_at", "-id")
        .first()
    )


def open_invitations_for(retailer_ids: list[int]) -> dict[int, int]:
    """retailer id → its newest open invitation id (one query for a batch of recipients)."""
    rows = (
        SurveyInvitation.objects.filter(
            retailer_id__in=retailer_ids, answered_at__isnull=True, survey__state=Survey.State.FIELDWORK
        )
        .order_by("retailer_id", "-created_at", "-id")
        .distinct("retailer_id")
        .values_list("retailer_id", "id")
    )
    return dict(rows)


def retailer_survey_history(*, user: User, retailer_id: int, limit: int = 8) -> list[SurveyResponse]:
    return list(response_list(user=user).filter(retailer_id=retailer_id).order_by("-submitted_at")[:limit])
