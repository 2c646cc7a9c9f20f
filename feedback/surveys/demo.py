"""Demo satisfaction surveys, written through the services: in every county a segment of its shops, an approved
invitation campaign carrying {{ survey_url }}, and one survey per quarter for the last four quarters — sampled,
invited, answered by about two thirds of the sample with scores that differ by area and improve a little each
quarter — so the survey pages and the report have a trend to show. The past quarters are closed."""

import datetime
import random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from campaigns.services.campaigns import campaign_approve, campaign_cancel, campaign_create
from campaigns.services.templates import template_create
from feedback.surveys.models import QuestionItem, Questionnaire, Survey, SurveyInvitation
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from segmentation.segments.services import segment_create
from users.models import User

DEFAULT_CODE = "retail-satisfaction"
QUARTERS = 4
SAMPLE_PER_COUNTY = 40
ANSWER_SHARE = 0.68
# mean answer (1–5) per area name; the quarters add a small improvement on top
AREA_MEANS = {
    "货源供应": 3.3,
    "订货服务": 4.2,
    "配送服务": 4.4,
    "客户经理服务": 4.1,
    "结算服务": 4.3,
    "投诉处理": 3.6,
    "市场监管": 3.9,
}


def _quarters(today: datetime.date, count: int) -> list[tuple[str, datetime.date]]:
    """(period, a day early in that quarter), oldest first, ending with the current quarter."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        out.append((f"{year}Q{quarter}", datetime.date(year, 3 * (quarter - 1) + 1, 10)))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out[::-1]


def _answers(rng: random.Random, areas, lift: float) -> dict[str, str]:
    data = {}
    shop_mood = rng.gauss(0, 0.5)
    for area in areas:
        mean = AREA_MEANS.get(area.name, 4.0) + lift + shop_mood
        for item in area.items.all():
            if item.kind == QuestionItem.Kind.SCALE5:
                data[f"item_{item.pk}"] = str(min(5, max(1, round(rng.gauss(mean, 0.8)))))
            elif item.kind == QuestionItem.Kind.NPS:
                data[f"item_{item.pk}"] = str(
                    min(10, max(0, round(rng.gauss(6.5 + 2 * lift + shop_mood * 2, 2))))
                )
            elif item.kind == QuestionItem.Kind.TEXT and rng.random() < 0.15:
                data[f"item_{item.pk}"] = rng.choice(
                    [
                        "希望紧俏品规多投放一些",
                        "送货时间能再早一点",
                        "客户经理很负责",
                        "网上订货偶尔卡顿",
                        "希望多组织经营培训",
                    ]
                )
    return data


def demo_surveys_build(*, seed: int = 11, today: datetime.date | None = None, stdout=None) -> dict:
    today = today or timezone.localdate()
    rng = random.Random(seed)  # noqa: S311 - demo data, repeatable by seed
    admin = User.objects.filter(role=User.Role.ADMIN, is_active=True).order_by("id").first()
    questionnaire = Questionnaire.objects.get(code=DEFAULT_CODE, state="published")
    areas = survey_responses.questionnaire_areas(questionnaire.pk)
    supervisors = User.objects.filter(
        role=User.Role.SUPERVISOR, is_active=True, org_unit__isnull=False
    ).order_by("id")
    made = {"surveys": 0, "responses": 0}
    tz = timezone.get_current_timezone()
    for supervisor in supervisors:
        county = supervisor.org_unit
        with transaction.atomic():
            segment = segment_create(
                user=supervisor,
                name="满意度调查总体（营业中全部零售户）",
                org_unit=county,
                definition={"op": "and", "rules": []},
            )
            template = template_create(
                actor=supervisor,
                data={
                    "name": "满意度调查邀请",
                    "channel": "sms",
                    "org_unit": county,
                    "body": f"{settings.CAMPAIGNS_SMS_SIGNATURE}{{{{ shop_name }}}}您好，诚邀您参加本季度服务满意度调查（约5分钟）：{{{{ survey_url }}}} {settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}",
                },
            )
            campaign = campaign_create(
                actor=supervisor,
                data={
                    "name": f"{county.name}满意度调查邀请",
                    "org_unit": county,
                    "segment": segment,
                    "channel": "sms",
                    "purpose": "notice",
                    "template": template,
                    "schedule_kind": "now",
                    "holdout_pct": 0,
                },
            )
            campaign = campaign_approve(actor=admin, campaign=campaign)
        for index, (period, day) in enumerate(_quarters(today, QUARTERS)):
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)), tz)
            try:
                with transaction.atomic():
                    survey = services.survey_create(
                        actor=supervisor,
                        name=f"{period[:4]}年第{period[-1]}季度零售客户满意度调查",
                        questionnaire=questionnaire,
                        period=period,
                        org_unit=county,
                        segment=segment,
                        allocation=Survey.Allocation.PROPORTIONAL,
                        sample_size=SAMPLE_PER_COUNTY,
                        min_per_stratum=1,
                        seed=f"demo-{period}",
                    )
                    services.survey_sample_draw(actor=supervisor, survey=survey)
                    occurrence = services.survey_invite(
                        actor=supervisor, survey=survey, campaign=campaign, now=at
                    )
                    past = index < QUARTERS - 1
                    if past:
                        # the demo invents last year's answers; its invitations must not go out today
                        campaign_cancel(actor=None, campaign=occurrence)
                    made["surveys"] += 1
                    for invitation in SurveyInvitation.objects.filter(survey=survey).order_by("id"):
                        if rng.random() > ANSWER_SHARE:
                            continue
                        survey_responses.survey_response_submit(
                            invitation_id=invitation.pk,
                            retailer_id=invitation.retailer_id,
                            data=_answers(rng, areas, lift=0.12 * index),
                            now=at + datetime.timedelta(hours=rng.randint(2, 400)),
                        )
                        made["responses"] += 1
                    if past:
                        services.survey_close(actor=supervisor, survey=survey)
            except ValidationError:
                # a small demo (seed_demo --retailers 30) may leave a county without an open retailer
                if stdout:
                    stdout.write(f"{county.name}: no open retailer to survey")
                break
        if stdout:
            stdout.write(f"{county.name}: {QUARTERS} quarterly surveys")
    return made
