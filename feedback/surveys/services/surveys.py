"""Every write of the survey side: the questionnaire builder (draft → published, a new version to change one),
surveys (create → draw the sample → invite → remind → close), the retailer's one response, and the export log.

Transitions lock the survey row and check its state, so two clicks never draw, invite or remind twice; the
invitations and reminders go out as occurrences of an approved campaign keyed by the survey (unique in
campaigns), so a retried request or a second worker never sends a second batch."""

import dataclasses
import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from campaigns.models import Campaign
from campaigns.services.campaigns import occurrence_create, occurrence_start, unit_within
from campaigns.templating import variables_used
from core.db import queryset_sql
from core.errors import ConflictError
from feedback.surveys.models import Questionnaire, Survey, SurveyExport, SurveyInvitation, SurveyStratum
from segmentation.segments.models import Segment
from segmentation.segments.selectors import segment_members
from users.models import OrgUnit, User

SURVEY_STATE = Survey.State


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("您没有此操作的权限。"))


def survey_may_run(*, user: User, survey: Survey | None = None) -> bool:
    if not user.has_perm("feedback.run_survey"):
        return False
    return survey is None or unit_within(user=user, org_unit=survey.org_unit)


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
    population_sql, population_params = queryset_sql(population)
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


def survey_export_log(*, user: User, survey: Survey, row_count: int = 0) -> SurveyExport:
    return SurveyExport.objects.create(user=user, survey=survey, row_count=row_count)


def survey_export_count_set(*, export: SurveyExport, row_count: int) -> None:
    export.row_count = row_count
    export.save(update_fields=["row_count"])
