"""The retailer's answer to one invitation: parse and check the answers, score them (area scores on 0–100, the
weighted overall score, the NPS value) and write the response exactly once."""

import dataclasses
import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ConflictError
from feedback.surveys.models import (
    QuestionArea,
    QuestionItem,
    Survey,
    SurveyAnswer,
    SurveyAreaScore,
    SurveyInvitation,
    SurveyResponse,
)

MAX_TEXT = 1000
SURVEY_STATE = Survey.State


# ---- scoring ----------------------------------------------------------------------------------------
def _normalised(value: int, item: QuestionItem) -> float:
    low, high = item.range
    return (value - low) / (high - low) * 100


@dataclasses.dataclass(frozen=True)
class Scores:
    areas: dict[int, float]  # area id -> 0–100
    overall: float | None
    nps_value: int | None


def response_scores(*, areas: list[QuestionArea], numbers: dict[int, int]) -> Scores:
    """Area score = mean of its answered 1–5 / 1–10 items, each normalised to 0–100 as (x − min) ÷ (max − min)
    × 100; overall = Σ weight × area score ÷ Σ weights of the areas answered. NPS items are kept apart."""
    area_scores: dict[int, float] = {}
    nps_value = None
    for area in areas:
        values = []
        for item in area.items.all():
            if item.pk not in numbers:
                continue
            if item.kind in QuestionItem.SCORED:
                values.append(_normalised(numbers[item.pk], item))
            elif item.kind == QuestionItem.Kind.NPS and nps_value is None:
                nps_value = numbers[item.pk]
        if values:
            area_scores[area.pk] = sum(values) / len(values)
    weights = {area.pk: area.weight for area in areas}
    total_weight = sum(weights[a] for a in area_scores)
    overall = sum(weights[a] * s for a, s in area_scores.items()) / total_weight if total_weight else None
    return Scores(areas=area_scores, overall=overall, nps_value=nps_value)


def answers_parse(
    *, areas: list[QuestionArea], data
) -> tuple[dict[int, int], dict[int, str], dict[str, list[str]]]:
    """Read `item_<id>` fields: numbers in range, a listed choice, text up to MAX_TEXT; required ones present.
    Returns (numbers, texts, errors by field name)."""
    numbers, texts, errors = {}, {}, {}
    for area in areas:
        for item in area.items.all():
            name = f"item_{item.pk}"
            raw = str(data.get(name) or "").strip()
            if not raw:
                if item.required:
                    errors[name] = [_("此题必答。")]
                continue
            if item.range:
                low, high = item.range
                try:
                    value = int(raw)
                except ValueError:
                    value = None
                if value is None or not low <= value <= high:
                    errors[name] = [_("请选择 %(low)s–%(high)s 之间的分值。") % {"low": low, "high": high}]
                else:
                    numbers[item.pk] = value
            elif item.kind == QuestionItem.Kind.CHOICE:
                if raw not in item.choices:
                    errors[name] = [_("请选择一个选项。")]
                else:
                    texts[item.pk] = raw
            else:
                if len(raw) > MAX_TEXT:
                    errors[name] = [_("最多 %(n)s 个字。") % {"n": MAX_TEXT}]
                else:
                    texts[item.pk] = raw
    return numbers, texts, errors


def questionnaire_areas(questionnaire_id: int) -> list[QuestionArea]:
    return list(
        QuestionArea.objects.filter(questionnaire_id=questionnaire_id)
        .prefetch_related("items")
        .order_by("position", "id")
    )


@transaction.atomic
def survey_response_submit(
    *, invitation_id: int, retailer_id: int, data, now: datetime.datetime | None = None
) -> SurveyResponse:
    """The retailer's answers to one invitation, exactly once. Bad or missing answers → ValidationError (by
    field) and nothing written; a second submit, or a closed survey → ConflictError. The claim is a conditional
    UPDATE of the invitation (a concurrent second submit waits for the first and then finds it answered); the
    one-to-one response row backs it up."""
    now = now or timezone.now()
    invitation = (
        SurveyInvitation.objects.select_related("survey")
        .filter(pk=invitation_id, retailer_id=retailer_id)
        .first()
    )
    if invitation is None:
        raise SurveyInvitation.DoesNotExist
    areas = questionnaire_areas(invitation.survey.questionnaire_id)
    numbers, texts, errors = answers_parse(areas=areas, data=data)
    if errors:
        raise ValidationError(errors)
    if invitation.survey.state != SURVEY_STATE.FIELDWORK:
        raise ConflictError(_("本次调查已结束，谢谢您的关注。"))
    # only the row's own columns in the WHERE: a concurrent submit re-checks them after waiting for the lock
    claimed = SurveyInvitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
        answered_at=now
    )
    if not claimed:
        raise ConflictError(_("您已提交过这份问卷，谢谢！"))
    scores = response_scores(areas=areas, numbers=numbers)
    response = SurveyResponse.objects.create(
        invitation=invitation,
        survey_id=invitation.survey_id,
        retailer_id=retailer_id,
        weight=invitation.weight,
        overall_score=scores.overall,
        nps_value=scores.nps_value,
        submitted_at=now,
    )
    SurveyAnswer.objects.bulk_create(
        [SurveyAnswer(response=response, item_id=i, number=v) for i, v in numbers.items()]
        + [SurveyAnswer(response=response, item_id=i, text=t) for i, t in texts.items()]
    )
    SurveyAreaScore.objects.bulk_create(
        SurveyAreaScore(response=response, area_id=a, score=s) for a, s in scores.areas.items()
    )
    return response
