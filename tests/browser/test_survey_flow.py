"""Satisfaction survey in a real browser: a retailer answers on a 390 px phone (a required item left out is flagged
and what was typed stays), sees the thank-you page, and the link then says it was answered; a supervisor confirms
the strata table, draws the sample and reads the results and report."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from campaigns.models import Campaign
from feedback.portal.links import portal_path, survey_path
from feedback.surveys.models import (
    QuestionArea,
    QuestionItem,
    Questionnaire,
    SurveyInvitation,
    SurveyResponse,
)
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from segmentation.segments.services import segment_create
from tests.browser.conftest import PASSWORD
from tests.campaigns.factories import CampaignFactory, TemplateFactory
from tests.feedback.conftest import seeded_questionnaire
from users.models import User
from users.services import user_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("SHOTS_DIR")  # set to also keep screenshots of each step for a human to look at


def shot(page, name):
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def small_questionnaire() -> tuple[Questionnaire, dict]:
    q = Questionnaire.objects.create(
        code="phone", version=1, name="零售客户满意度调查", intro="1 分非常不满意，5 分非常满意。"
    )
    supply = QuestionArea.objects.create(questionnaire=q, name="货源供应", weight=3, position=1)
    service = QuestionArea.objects.create(questionnaire=q, name="客户经理服务", weight=2, position=2)
    overall = QuestionArea.objects.create(questionnaire=q, name="总体评价", weight=1, position=3)
    items = {
        "supply": QuestionItem.objects.create(
            area=supply, text="畅销品规的货源供应能满足您的经营需要", position=1
        ),
        "visit": QuestionItem.objects.create(area=service, text="客户经理定期上门拜访", position=1),
        "nps": QuestionItem.objects.create(
            area=overall, text="您有多大可能向其他零售户推荐我们的服务？", kind="nps", position=1
        ),
        "text": QuestionItem.objects.create(
            area=overall, text="您还有什么意见或建议？", kind="text", required=False, position=2
        ),
    }
    q.state, q.published_at = Questionnaire.State.PUBLISHED, q.created_at
    q.save()
    return q, items


def run_survey(world, questionnaire):
    county_a = world.route_a.org_unit.parent
    supervisor = user_create(
        username="sup_a",
        password=PASSWORD,
        role=User.Role.SUPERVISOR,
        org_unit=county_a,
        display_name="赵主管",
    )
    approver = user_create(
        username="sup_a2",
        password=PASSWORD,
        role=User.Role.SUPERVISOR,
        org_unit=county_a,
        display_name="钱主管",
    )
    segment = segment_create(
        user=supervisor, name="老城全部", org_unit=county_a, definition={"op": "and", "rules": []}
    )
    body = f"{settings.CAMPAIGNS_SMS_SIGNATURE}诚邀您参加满意度调查：{{{{ survey_url }}}} {settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}"
    campaign = CampaignFactory(
        name="四季度满意度调查邀请",
        template=TemplateFactory(org_unit=county_a, created_by=supervisor, body=body),
        org_unit=county_a,
        segment=segment,
        purpose="notice",
        created_by=supervisor,
        approved_by=approver,
        state=Campaign.State.APPROVED,
    )
    survey = services.survey_create(
        actor=supervisor,
        name="2026年四季度零售客户满意度调查",
        questionnaire=questionnaire,
        period="2026Q4",
        org_unit=county_a,
        segment=segment,
        allocation="fixed",
        per_stratum=5,
        seed="browser",
    )
    return supervisor, campaign, survey


def test_a_retailer_answers_the_survey_on_a_phone(phone_page, live_server, world):
    questionnaire, items = small_questionnaire()
    supervisor, campaign, survey = run_survey(world, questionnaire)
    services.survey_sample_draw(actor=supervisor, survey=survey)
    services.survey_invite(actor=supervisor, survey=survey, campaign=campaign)
    shop = world.shop_a1
    invitation = SurveyInvitation.objects.get(survey=survey, retailer=shop)
    url = f"{live_server.url}{survey_path(retailer_id=shop.pk, invitation_id=invitation.pk)}"
    page = phone_page

    page.goto(url)
    expect(page.locator("h1")).to_have_text("零售客户满意度调查")
    expect(page.locator("#answered-count")).to_have_text("0")
    page.locator(f"label[for=item_{items['supply'].pk}-4]").click()
    page.locator(f"label[for=item_{items['nps'].pk}-9]").click()
    page.fill(f"#item_{items['text'].pk}", "希望紧俏品规多投放一些")
    expect(page.locator("#answered-count")).to_have_text("3")
    shot(page, "survey-phone-filling")
    page.locator("#survey-submit").click()

    # the required item left out is flagged; everything answered is still there
    expect(page.locator("#survey-errors")).to_contain_text("还有 1 道题需要补充")
    flagged = page.locator(f"#q-item_{items['visit'].pk}")
    expect(flagged).to_have_class("survey-item mb-4 has-error")
    expect(flagged.locator(".item-error")).to_have_text("此题必答。")
    expect(page.locator(f"#item_{items['supply'].pk}-4")).to_be_checked()
    expect(page.locator(f"#item_{items['nps'].pk}-9")).to_be_checked()
    expect(page.locator(f"#item_{items['text'].pk}")).to_have_value("希望紧俏品规多投放一些")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "survey-phone-error")
    assert not SurveyResponse.objects.exists()

    page.locator(f"label[for=item_{items['visit'].pk}-5]").click()
    page.locator("#survey-submit").click()
    expect(page.locator("#survey-done h1")).to_have_text("提交成功，感谢您的参与！")
    shot(page, "survey-phone-thanks")
    response = SurveyResponse.objects.get()
    # 货源 (4−1)/4 = 75, 服务 (5−1)/4 = 100 → (3×75 + 2×100) ÷ 5 = 85
    assert (response.overall_score, response.nps_value) == (85.0, 9)

    page.goto(url)  # the link again
    expect(page.locator("#survey-done h1")).to_have_text("您已经提交过这份问卷，谢谢！")

    page.goto(f"{live_server.url}{portal_path(retailer_id=shop.pk)}")
    expect(page.locator("#hub-shop")).to_have_text("老城甲号便利店")
    expect(page.locator("#hub-survey")).to_have_count(0)  # answered: no open invitation any more
    shot(page, "hub-phone")


@pytest.mark.parametrize("viewport", ["page", "phone_page"])
def test_a_supervisor_confirms_the_strata_draws_and_reads_the_results(
    viewport, request, live_server, world, login
):
    page = request.getfixturevalue(viewport)
    questionnaire = seeded_questionnaire()
    supervisor, campaign, survey = run_survey(world, questionnaire)
    login(page, supervisor)
    page.goto(f"{live_server.url}/service/surveys/{survey.pk}/")
    expect(page.locator("#strata-plan")).to_be_visible()
    # the three shops of county A: two convenience stores (CB2) and one tobacco & liquor store (CY2)
    expect(page.locator("#plan-total")).to_have_text("3")
    shot(page, f"survey-detail-plan-{viewport}")
    page.locator("#survey-draw").click()
    expect(page.locator("#survey-state")).to_have_text("已抽样")
    page.select_option("#id_campaign", str(campaign.pk))
    page.locator("#survey-invite-send").click()
    expect(page.locator("#survey-state")).to_have_text("调查中")
    for invitation in SurveyInvitation.objects.filter(survey=survey).order_by("id")[:2]:
        data = {
            f"item_{i.pk}": str(3 + (i.pk + invitation.pk) % 3)
            for a in questionnaire.areas.all()
            for i in a.items.all()
            if i.kind == "scale5"
        }
        nps = next(i for a in questionnaire.areas.all() for i in a.items.all() if i.kind == "nps")
        data[f"item_{nps.pk}"] = "9"
        survey_responses.survey_response_submit(
            invitation_id=invitation.pk, retailer_id=invitation.retailer_id, data=data
        )
    page.reload()
    expect(page.locator("#survey-answered")).to_contain_text("2")
    expect(page.locator("#survey-nps")).to_have_text("100.0")
    shot(page, f"survey-detail-{viewport}")
    page.goto(f"{live_server.url}/service/surveys/report/")
    expect(page.locator("#report-managers")).to_contain_text("王经理")
    shot(page, f"survey-report-{viewport}")
    if viewport == "page":
        page.goto(f"{live_server.url}/service/questionnaires/{questionnaire.pk}/")
        shot(page, "questionnaire")
        page.goto(f"{live_server.url}/service/surveys/new/")
        shot(page, "survey-new")
        page.goto(f"{live_server.url}/service/surveys/")
        shot(page, "survey-list")
        page.goto(f"{live_server.url}/retailers/{world.shop_a1.pk}/")
        page.locator("#retailer-service").scroll_into_view_if_needed()  # a section's panel loads when in view
        expect(page.locator("#portal-link")).to_be_visible()
        shot(page, "portrait")
