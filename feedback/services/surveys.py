"""Every write of the survey side: the questionnaire builder (draft → published, a new version to change one),
surveys (create → draw the sample → invite → remind → close), the retailer's one response, and the export log.

Transitions lock the survey row and check its state, so two clicks never draw, invite or remind twice; the
invitations and reminders go out as occurrences of an approved campaign keyed by the survey (unique in
campaigns), so a retried request or a second worker never sends a second batch."""

import dataclasses
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from campaigns.models import Campaign
from campaigns.services.campaigns import occurrence_create, occurrence_start, unit_within
from campaigns.templating import variables_used
from crm.errors import ConflictError
from feedback.models import (
    QuestionArea,
    QuestionItem,
    Questionnaire,
    Survey,
    SurveyAnswer,
    SurveyAreaScore,
    SurveyExport,
    SurveyInvitation,
    SurveyResponse,
    SurveyStratum,
)
from segmentation.models import Segment
from segmentation.selectors import segment_members
from users.models import OrgUnit, User

SURVEY_STATE = Survey.State
MAX_TEXT = 1000


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有此操作的权限。"))


def survey_may_run(*, user: User, survey: Survey | None = None) -> bool:
    if not user.has_perm("feedback.run_survey"):
        return False
    return survey is None or unit_within(user=user, org_unit=survey.org_unit)


# ---- questionnaire builder ----------------------------------------------------------------------------------------
def _draft(questionnaire: Questionnaire) -> Questionnaire:
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.is_frozen:
        raise ConflictError(_("问卷已发布，不能修改；请先生成新版本。"))
    return locked


@transaction.atomic
def questionnaire_create(*, actor: User, code: str, name: str, intro: str = "") -> Questionnaire:
    _require(actor.has_perm("feedback.add_questionnaire"))
    questionnaire = Questionnaire(code=code, name=name, intro=intro, version=1, created_by=actor)
    questionnaire.full_clean()
    if Questionnaire.objects.filter(code=code).exists():
        raise ValidationError({"code": _("该问卷代码已存在。")})
    questionnaire.save()
    return questionnaire


@transaction.atomic
def questionnaire_new_version(*, actor: User, questionnaire: Questionnaire) -> Questionnaire:
    """A draft copy (areas and items) of a published questionnaire as the next version of its code."""
    _require(actor.has_perm("feedback.add_questionnaire"))
    if not questionnaire.is_frozen:
        raise ConflictError(_("草稿可以直接修改，不需要新版本。"))
    if Questionnaire.objects.filter(code=questionnaire.code, state=Questionnaire.State.DRAFT).exists():
        raise ConflictError(_("该问卷已有一个草稿版本。"))
    version = Questionnaire.objects.filter(code=questionnaire.code).aggregate(v=Max("version"))["v"] + 1
    try:
        with transaction.atomic():
            copy = Questionnaire.objects.create(
                code=questionnaire.code,
                version=version,
                name=questionnaire.name,
                intro=questionnaire.intro,
                created_by=actor,
            )
    except IntegrityError:
        raise ConflictError(_("该问卷已有一个草稿版本。")) from None
    for area in questionnaire.areas.prefetch_related("items"):
        new_area = QuestionArea.objects.create(
            questionnaire=copy, name=area.name, weight=area.weight, position=area.position
        )
        QuestionItem.objects.bulk_create(
            QuestionItem(
                area=new_area,
                text=item.text,
                kind=item.kind,
                required=item.required,
                choices=item.choices,
                position=item.position,
            )
            for item in area.items.all()
        )
    return copy


@transaction.atomic
def question_area_save(
    *, actor: User, questionnaire: Questionnaire, name: str, weight: int, area: QuestionArea | None = None
) -> QuestionArea:
    _require(actor.has_perm("feedback.change_questionnaire"))
    questionnaire = _draft(questionnaire)
    if area is None:
        position = (questionnaire.areas.aggregate(p=Max("position"))["p"] or 0) + 1
        area = QuestionArea(questionnaire=questionnaire, position=position)
    elif area.questionnaire_id != questionnaire.pk:
        raise ValidationError(_("该领域不属于此问卷。"))
    area.name, area.weight = (name or "").strip(), weight
    area.full_clean()
    area.save()
    return area


@transaction.atomic
def question_item_save(
    *,
    actor: User,
    area: QuestionArea,
    text: str,
    kind: str,
    required: bool,
    choices: list[str] | None = None,
    item: QuestionItem | None = None,
) -> QuestionItem:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(area.questionnaire)
    if item is None:
        position = (area.items.aggregate(p=Max("position"))["p"] or 0) + 1
        item = QuestionItem(area=area, position=position)
    elif item.area_id != area.pk:
        raise ValidationError(_("该题目不属于此领域。"))
    item.text, item.kind, item.required = (text or "").strip(), kind, required
    item.choices = [c.strip() for c in (choices or []) if c.strip()]
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def question_item_delete(*, actor: User, item: QuestionItem) -> None:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(item.area.questionnaire)
    item.delete()


@transaction.atomic
def question_area_delete(*, actor: User, area: QuestionArea) -> None:
    _require(actor.has_perm("feedback.change_questionnaire"))
    _draft(area.questionnaire)
    area.delete()


@transaction.atomic
def questionnaire_publish(*, actor: User, questionnaire: Questionnaire) -> Questionnaire:
    """Freeze a draft; the older published versions of the same code retire (surveys already using them keep
    them). Refused if an area has no item or nothing would be scored."""
    _require(actor.has_perm("feedback.change_questionnaire"))
    questionnaire = _draft(questionnaire)
    areas = list(questionnaire.areas.prefetch_related("items"))
    errors = []
    if not areas:
        errors.append(_("问卷至少需要一个评价领域。"))
    for area in areas:
        if not area.items.all():
            errors.append(_("领域“%(name)s”没有题目。") % {"name": area.name})
    if not any(item.kind in QuestionItem.SCORED for area in areas for item in area.items.all()):
        errors.append(_("问卷至少需要一道计分题（1–5 分或 1–10 分）。"))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    Questionnaire.objects.filter(code=questionnaire.code, state=Questionnaire.State.PUBLISHED).update(
        state=Questionnaire.State.RETIRED
    )
    questionnaire.state, questionnaire.published_at = Questionnaire.State.PUBLISHED, now
    questionnaire.save(update_fields=["state", "published_at"])
    return questionnaire


# ---- surveys --------------------------------------------------------------------------------------------------------
@transaction.atomic
def survey_create(
    *,
    actor: User,
    name: str,
    questionnaire: Questionnaire,
    period: str,
    org_unit: OrgUnit,
    segment: Segment,
    allocation: str,
    sample_size: int = 0,
    min_per_stratum: int = 0,
    per_stratum: int = 0,
    seed: str,
) -> Survey:
    _require(survey_may_run(user=actor))
    survey = Survey(
        name=name,
        questionnaire=questionnaire,
        period=period,
        org_unit=org_unit,
        segment=segment,
        allocation=allocation,
        sample_size=sample_size or 0,
        min_per_stratum=min_per_stratum or 0,
        per_stratum=per_stratum or 0,
        seed=(seed or "").strip(),
        created_by=actor,
    )
    survey.full_clean()
    errors = {}
    if questionnaire.state != Questionnaire.State.PUBLISHED:
        errors["questionnaire"] = [_("只能使用已发布的问卷。")]
    if not unit_within(user=actor, org_unit=org_unit):
        errors["org_unit"] = [_("只能在本单位及下级单位开展调查。")]
    if segment.is_archived or not (
        org_unit.path.startswith(segment.org_unit.path) or segment.org_unit.path.startswith(org_unit.path)
    ):
        errors["segment"] = [_("客户分群不属于该单位。")]
    if errors:
        raise ValidationError(errors)
    survey.save()
    return survey


@dataclasses.dataclass(frozen=True)
class StratumPlan:
    business_format: str
    scale: str
    market_type: str
    population: int
    sample_size: int

    @property
    def code(self) -> str:
        return f"{self.market_type}{self.business_format}{self.scale}"

    @property
    def weight(self) -> float | None:
        return self.population / self.sample_size if self.sample_size else None

    @property
    def labels(self) -> tuple[str, str, str]:
        """(format, scale, market type) in words."""
        return (
            str(Retailer.BusinessFormat(self.business_format).label),
            str(Retailer.Scale(self.scale).label),
            str(Retailer.MarketType(self.market_type).label),
        )


def _round_half_up(value: float) -> int:
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def strata_allocate(
    *,
    populations: dict[tuple[str, str, str], int],
    allocation: str,
    sample_size: int,
    min_per_stratum: int,
    per_stratum: int,
) -> dict[tuple[str, str, str], int]:
    """Sample size per stratum. Proportional: round(n × N_h ÷ N) (half up), at least the minimum; fixed: the
    same n in every stratum. Never more than the stratum holds."""
    total = sum(populations.values())
    sizes = {}
    for key, population in populations.items():
        if allocation == Survey.Allocation.FIXED:
            wanted = per_stratum
        else:
            wanted = max(min_per_stratum, _round_half_up(sample_size * population / total)) if total else 0
        sizes[key] = min(population, wanted)
    return sizes


def survey_population(*, survey: Survey) -> QuerySet[Retailer]:
    """Who can be drawn: the segment's members now, inside the survey's unit, active shops only."""
    return segment_members(segment=survey.segment).filter(
        org_unit__path__startswith=survey.org_unit.path, status=Retailer.Status.ACTIVE
    )


def survey_strata_plan(*, survey: Survey) -> list[StratumPlan]:
    """The strata table a supervisor confirms before the draw: population and sample per stratum (no write)."""
    from django.db.models import Count

    rows = (
        survey_population(survey=survey)
        .order_by()
        .values("business_format", "scale", "market_type")
        .annotate(n=Count("id"))
    )
    populations = {(r["business_format"], r["scale"], r["market_type"]): r["n"] for r in rows}
    sizes = strata_allocate(
        populations=populations,
        allocation=survey.allocation,
        sample_size=survey.sample_size,
        min_per_stratum=survey.min_per_stratum,
        per_stratum=survey.per_stratum,
    )
    return [
        StratumPlan(*key, population=populations[key], sample_size=sizes[key]) for key in sorted(populations)
    ]


# Within each stratum, order the population by md5(seed:retailer id) and take the first n: the same seed over the
# same population draws the same shops, on any machine, in one statement.
_DRAW_SQL = """
INSERT INTO feedback_surveyinvitation (survey_id, retailer_id, stratum_id, weight, created_at)
SELECT %s, p.id, s.id, s.population::float8 / s.sample_size, now()
FROM (
  SELECT pop.id, pop.business_format, pop.scale, pop.market_type,
         row_number() OVER (PARTITION BY pop.business_format, pop.scale, pop.market_type
                            ORDER BY md5(%s || ':' || pop.id), pop.id) AS rn
  FROM ({population}) pop
) p
JOIN feedback_surveystratum s
  ON s.survey_id = %s AND s.business_format = p.business_format AND s.scale = p.scale
 AND s.market_type = p.market_type
WHERE p.rn <= s.sample_size
ON CONFLICT (survey_id, retailer_id) DO NOTHING"""


@transaction.atomic
def survey_sample_draw(*, actor: User, survey: Survey) -> list[SurveyStratum]:
    """Draw (or, before anyone is invited, redraw) the sample: strata rows, then the invitations in one
    INSERT … SELECT. Refused once invitations went out."""
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("org_unit", "segment__org_unit")
        .get(pk=survey.pk)
    )
    _require(survey_may_run(user=actor, survey=survey))
    if survey.state not in (SURVEY_STATE.DRAFT, SURVEY_STATE.SAMPLED):
        raise ConflictError(_("邀请已发出，不能重新抽样。"))
    plan = survey_strata_plan(survey=survey)
    if not any(p.sample_size for p in plan):
        raise ValidationError(_("抽样总体为空：该客户分群在调查范围内没有营业中的零售客户。"))
    survey.invitations.all().delete()
    survey.strata.all().delete()
    strata = SurveyStratum.objects.bulk_create(
        SurveyStratum(
            survey=survey,
            business_format=p.business_format,
            scale=p.scale,
            market_type=p.market_type,
            population=p.population,
            sample_size=p.sample_size,
        )
        for p in plan
        if p.sample_size
    )
    population = survey_population(survey=survey).values("id", "business_format", "scale", "market_type")
    population_sql, population_params = population.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            _DRAW_SQL.format(population=population_sql),
            [survey.pk, survey.seed, *population_params, survey.pk],
        )
    survey.state, survey.sampled_at = SURVEY_STATE.SAMPLED, timezone.now()
    survey.save(update_fields=["state", "sampled_at"])
    return strata


def _campaign_problems(*, survey: Survey, campaign: Campaign) -> list[str]:
    problems = []
    if campaign.state != Campaign.State.APPROVED or campaign.is_occurrence:
        problems.append(_("请选择一个已审批、尚未发送的活动（邀请和提醒作为它的批次发送）。"))
    if "survey_url" not in variables_used(campaign.template.body, campaign.template.html_body):
        problems.append(_("活动模板中没有 {{ survey_url }}，零售户收不到调查链接。"))
    if not survey.org_unit.path.startswith(campaign.org_unit.path):
        problems.append(_("活动的单位须包含调查范围。"))
    return problems


def survey_invitation_audience(*, survey: Survey, unanswered_only: bool = False) -> QuerySet[Retailer]:
    invitations = SurveyInvitation.objects.filter(survey=survey)
    if unanswered_only:
        invitations = invitations.filter(answered_at__isnull=True)
    return Retailer.objects.filter(pk__in=invitations.values("retailer_id"))


@transaction.atomic
def survey_invite(
    *, actor: User, survey: Survey, campaign: Campaign, now: datetime.datetime | None = None
) -> Campaign:
    """Send the invitations once, as an occurrence of `campaign` whose template carries {{ survey_url }};
    consent, quiet hours and the frequency cap of campaigns apply at send time. sampled → fieldwork."""
    now = now or timezone.now()
    survey = Survey.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=survey.pk)
    _require(survey_may_run(user=actor, survey=survey))
    if survey.state != SURVEY_STATE.SAMPLED:
        raise ConflictError(
            _("邀请已发出。") if survey.state != SURVEY_STATE.DRAFT else _("请先抽样再发送邀请。")
        )
    campaign = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("template", "org_unit")
        .get(pk=campaign.pk)
    )
    problems = _campaign_problems(survey=survey, campaign=campaign)
    if problems:
        raise ValidationError({"campaign": problems})
    occurrence = occurrence_create(parent=campaign, key=f"survey-{survey.pk}-invite")
    if occurrence is None:
        raise ConflictError(_("邀请已发出。"))
    SurveyInvitation.objects.filter(survey=survey, invited_at__isnull=True).update(invited_at=now)
    survey.state, survey.invited_at, survey.campaign = SURVEY_STATE.FIELDWORK, now, campaign
    survey.save(update_fields=["state", "invited_at", "campaign"])
    return occurrence_start(
        occurrence=occurrence, audience=survey_invitation_audience(survey=survey), now=now
    )


@transaction.atomic
def survey_remind(*, actor: User, survey: Survey, now: datetime.datetime | None = None) -> Campaign:
    """One more batch through the same campaign, only to invitees who have not answered yet."""
    now = now or timezone.now()
    survey = (
        Survey.objects.select_for_update(of=("self",))
        .select_related("campaign", "org_unit")
        .get(pk=survey.pk)
    )
    _require(survey_may_run(user=actor, survey=survey))
    if survey.state != SURVEY_STATE.FIELDWORK:
        raise ConflictError(_("只有调查中的调查可以发送提醒。"))
    pending = SurveyInvitation.objects.filter(survey=survey, answered_at__isnull=True)
    if not pending.exists():
        raise ConflictError(_("所有受邀客户都已答卷，无需提醒。"))
    number = survey.reminder_count + 1
    occurrence = occurrence_create(parent=survey.campaign, key=f"survey-{survey.pk}-remind-{number}")
    if occurrence is None:
        raise ConflictError(_("该次提醒已发送。"))
    occurrence.name = _("%(name)s · 第%(n)s次提醒") % {"name": survey.campaign.name, "n": number}
    occurrence.save(update_fields=["name"])
    pending.update(last_reminded_at=now)
    survey.reminder_count = number
    survey.save(update_fields=["reminder_count"])
    return occurrence_start(
        occurrence=occurrence,
        audience=survey_invitation_audience(survey=survey, unanswered_only=True),
        now=now,
    )


@transaction.atomic
def survey_close(*, actor: User, survey: Survey) -> Survey:
    survey = Survey.objects.select_for_update(of=("self",)).select_related("org_unit").get(pk=survey.pk)
    _require(survey_may_run(user=actor, survey=survey))
    if survey.state == SURVEY_STATE.CLOSED:
        raise ConflictError(_("调查已结束。"))
    survey.state, survey.closed_at = SURVEY_STATE.CLOSED, timezone.now()
    survey.save(update_fields=["state", "closed_at"])
    return survey


# ---- the retailer's answer ----------------------------------------------------------------------------------------
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


def survey_export_log(*, user: User, survey: Survey, row_count: int = 0) -> SurveyExport:
    return SurveyExport.objects.create(user=user, survey=survey, row_count=row_count)


def survey_export_count_set(*, export: SurveyExport, row_count: int) -> None:
    export.row_count = row_count
    export.save(update_fields=["row_count"])
