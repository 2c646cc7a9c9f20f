"""Invitations through campaigns, one response per invitation, and the indices on a hand-computed example."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from campaigns.models import Campaign, Delivery
from campaigns.templating import recipient_for, render_many
from core.errors import ConflictError
from feedback.surveys import indices as survey_indices
from feedback.surveys import selectors
from feedback.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from tests.accounts.factories import RetailerFactory
from tests.feedback.factories import SurveyFactory


@pytest.fixture
def tiny_survey(route_a, supervisor_a, segment_a, tiny_questionnaire, survey_campaign):
    """Stratum CB2: 6 shops, 2 drawn (weight 3); stratum XZ3: 1 shop, drawn (weight 1). In the field."""
    for _ in range(6):
        RetailerFactory(route=route_a, market_type="C", business_format="B", scale="2")
    RetailerFactory(route=route_a, market_type="X", business_format="Z", scale="3")
    questionnaire, items = tiny_questionnaire
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire, per_stratum=2)
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
    survey.refresh_from_db()
    invitations = list(
        SurveyInvitation.objects.filter(survey=survey).select_related("retailer").order_by("id")
    )
    big = [i for i in invitations if i.retailer.business_format == "B"]
    small = [i for i in invitations if i.retailer.business_format == "Z"]
    return survey, items, big, small


def answers(items, s5, s10, v5, nps, text=""):
    return {
        f"item_{items['s5'].pk}": str(s5),
        f"item_{items['s10'].pk}": str(s10),
        f"item_{items['v5'].pk}": str(v5),
        f"item_{items['nps'].pk}": str(nps),
        f"item_{items['text'].pk}": text,
    }


def submit(invitation, data):
    return survey_responses.survey_response_submit(
        invitation_id=invitation.pk, retailer_id=invitation.retailer_id, data=data
    )


def test_area_scores_overall_score_and_nps_of_one_response(tiny_survey):
    _survey, items, big, _small = tiny_survey
    response = submit(big[0], answers(items, s5=4, s10=7, v5=5, nps=9, text="希望多投放畅销品规"))
    # 供应: (4−1)/(5−1)×100 = 75 and (7−1)/(10−1)×100 = 66.667 → 70.833; 服务: (5−1)/4×100 = 100
    scores = {s.area.name: s.score for s in response.area_scores.select_related("area")}
    assert scores == {"供应": pytest.approx(70.8333, abs=1e-3), "服务": 100.0}
    # overall = (3 × 70.833 + 1 × 100) ÷ (3 + 1) = 78.125; the 总体 area has no scored item and does not count
    assert response.overall_score == pytest.approx(78.125)
    assert response.nps_value == 9
    assert response.weight == 3.0
    assert SurveyAnswer.objects.get(response=response, item=items["text"]).text == "希望多投放畅销品规"


def test_survey_indices_are_weighted_by_the_sampling_weights(tiny_survey, supervisor_a):
    survey, items, big, small = tiny_survey
    submit(big[0], answers(items, s5=4, s10=7, v5=5, nps=9))  # overall 78.125, promoter, weight 3
    submit(
        big[1], answers(items, s5=2, s10=10, v5=1, nps=5)
    )  # 供应 62.5, 服务 0 → 46.875, detractor, weight 3
    submit(
        small[0], answers(items, s5=3, s10=1, v5=3, nps=10)
    )  # 供应 25, 服务 50 → 31.25, promoter, weight 1
    indices = survey_indices.survey_indices(user=supervisor_a, survey=survey)
    assert indices.responses == 3
    # (3 × 78.125 + 3 × 46.875 + 1 × 31.25) ÷ 7 = 406.25 ÷ 7
    assert indices.index == pytest.approx(58.0357, abs=1e-3)
    assert indices.unweighted_index == pytest.approx((78.125 + 46.875 + 31.25) / 3)
    # promoters weigh 3 + 1, detractors 3, of 7: (4 − 3) ÷ 7 × 100
    assert indices.nps == pytest.approx(14.2857, abs=1e-3)
    areas = {a["name"]: a["score"] for a in indices.areas}
    # 供应 (3 × 70.833 + 3 × 62.5 + 1 × 25) ÷ 7 = 425 ÷ 7; 服务 (3 × 100 + 3 × 0 + 1 × 50) ÷ 7 = 350 ÷ 7
    assert areas == {"供应": pytest.approx(60.7143, abs=1e-3), "服务": pytest.approx(50.0)}
    assert [
        (r["period"], r["area"], round(r["score"], 3)) for r in survey_indices.area_trend(user=supervisor_a)
    ] == [
        ("2026Q4", "供应", 60.714),
        ("2026Q4", "服务", 50.0),
    ]
    trend = survey_indices.index_trend(user=supervisor_a)
    assert [(t["period"], round(t["index"], 3), round(t["nps"], 3)) for t in trend] == [
        ("2026Q4", 58.036, 14.286)
    ]
    progress = selectors.survey_progress(user=supervisor_a, survey=survey)
    assert (progress.sampled, progress.invited, progress.answered, progress.population) == (3, 3, 3, 7)


def test_missing_required_and_out_of_range_answers_are_refused_and_nothing_is_written(tiny_survey):
    _survey, items, big, _small = tiny_survey
    data = answers(items, s5=6, s10=7, v5="", nps=9)
    with pytest.raises(ValidationError) as error:
        submit(big[0], data)
    assert set(error.value.message_dict) == {f"item_{items['s5'].pk}", f"item_{items['v5'].pk}"}
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get(pk=big[0].pk).answered_at is None


def test_a_second_submit_of_the_same_invitation_is_refused(tiny_survey):
    _survey, items, big, _small = tiny_survey
    submit(big[0], answers(items, s5=4, s10=7, v5=5, nps=9))
    with pytest.raises(ConflictError):
        submit(big[0], answers(items, s5=1, s10=1, v5=1, nps=0))
    response = SurveyResponse.objects.get()
    assert response.nps_value == 9


def test_an_invitation_of_another_retailer_cannot_be_answered(tiny_survey):
    _survey, items, big, _small = tiny_survey
    with pytest.raises(SurveyInvitation.DoesNotExist):
        survey_responses.survey_response_submit(
            invitation_id=big[0].pk, retailer_id=big[1].retailer_id, data=answers(items, 4, 7, 5, 9)
        )


def test_a_closed_survey_takes_no_more_answers(tiny_survey, supervisor_a):
    survey, items, big, _small = tiny_survey
    services.survey_close(actor=supervisor_a, survey=survey)
    with pytest.raises(ConflictError):
        submit(big[0], answers(items, 4, 7, 5, 9))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_of_one_invitation_make_one_response(tiny_survey):
    _survey, items, big, _small = tiny_survey
    barrier = threading.Barrier(2)
    outcomes = []

    def run(nps):
        try:
            barrier.wait()
            submit(big[0], answers(items, 4, 7, 5, nps))
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in (9, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert SurveyResponse.objects.filter(invitation=big[0]).count() == 1


def test_invitations_go_out_once_as_one_campaign_occurrence(tiny_survey, supervisor_a, survey_campaign):
    survey, _items, big, small = tiny_survey
    assert survey.state == Survey.State.FIELDWORK
    occurrence = Campaign.objects.get(parent=survey_campaign, occurrence_key=f"survey-{survey.pk}-invite")
    invited = {i.retailer_id for i in [*big, *small]}
    assert set(Delivery.objects.filter(campaign=occurrence).values_list("retailer_id", flat=True)) == invited
    with pytest.raises(ConflictError):
        services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
    assert Delivery.objects.filter(campaign__parent=survey_campaign).count() == 3
    assert not Delivery.objects.filter(campaign=survey_campaign).exists()  # the parent itself never sends


def test_reminders_go_only_to_invitees_who_have_not_answered(tiny_survey, supervisor_a, survey_campaign):
    survey, items, big, small = tiny_survey
    submit(big[0], answers(items, 4, 7, 5, 9))
    first = services.survey_remind(actor=supervisor_a, survey=survey)
    assert set(Delivery.objects.filter(campaign=first).values_list("retailer_id", flat=True)) == {
        big[1].retailer_id,
        small[0].retailer_id,
    }
    submit(small[0], answers(items, 3, 1, 3, 10))
    second = services.survey_remind(actor=supervisor_a, survey=survey)
    assert list(Delivery.objects.filter(campaign=second).values_list("retailer_id", flat=True)) == [
        big[1].retailer_id
    ]
    assert first.occurrence_key == f"survey-{survey.pk}-remind-1"
    assert second.occurrence_key == f"survey-{survey.pk}-remind-2"


def test_reminders_stop_when_everyone_answered(tiny_survey, supervisor_a):
    survey, items, big, small = tiny_survey
    for invitation in [*big, *small]:
        submit(invitation, answers(items, 4, 7, 5, 9))
    with pytest.raises(ConflictError):
        services.survey_remind(actor=supervisor_a, survey=survey)


def test_invite_refuses_a_campaign_without_the_survey_link(
    tiny_survey, supervisor_a, survey_campaign, segment_a
):
    from tests.campaigns.factories import CampaignFactory, TemplateFactory

    survey, *_ = tiny_survey
    other = SurveyFactory(
        actor=supervisor_a,
        segment=segment_a,
        questionnaire=survey.questionnaire,
        name="另一次",
        per_stratum=1,
    )
    services.survey_sample_draw(actor=supervisor_a, survey=other)
    plain = CampaignFactory(
        template=TemplateFactory(org_unit=survey_campaign.org_unit, created_by=supervisor_a),
        org_unit=survey_campaign.org_unit,
        segment=segment_a,
        created_by=supervisor_a,
        state=Campaign.State.APPROVED,
    )
    with pytest.raises(ValidationError) as error:
        services.survey_invite(actor=supervisor_a, survey=other, campaign=plain)
    assert "campaign" in error.value.message_dict
    other.refresh_from_db()
    assert other.state == Survey.State.SAMPLED
    assert not Campaign.objects.filter(parent=plain).exists()


def test_the_survey_url_variable_carries_each_retailers_own_link(tiny_survey, survey_campaign):
    from core.links import retailer_link_read
    from feedback.portal.links import SURVEY

    _survey, _items, big, _small = tiny_survey
    retailer = big[0].retailer
    rendered = render_many(
        template=survey_campaign.template, recipients=[recipient_for(retailer)], context={}
    )[0]
    assert "/r/s/" in rendered.text
    token = rendered.text.split("/r/s/")[1].split("/")[0]
    link = retailer_link_read(token=token, purpose=SURVEY)
    assert (link.retailer_id, link.ref) == (retailer.pk, big[0].pk)


def test_low_ratings_are_a_reason_source_for_hidden_complaints(tiny_survey):
    import datetime

    _survey, items, big, _small = tiny_survey
    submit(big[0], answers(items, 4, 7, 5, 9))  # 78.125
    submit(big[1], answers(items, 2, 10, 1, 5))  # 46.875
    low = selectors.retailers_rated_low(since=datetime.date(2026, 1, 1), threshold=60)
    assert list(low) == [big[1].retailer_id]
    assert "46.9" in low[big[1].retailer_id]


def test_a_low_survey_score_puts_the_retailer_on_the_hidden_complaint_list(tiny_survey, manager_a):
    import datetime

    from django.utils import timezone

    from feedback.complaints.hidden.selectors import hidden_complaints

    survey, items, big, _small = tiny_survey
    # (0 + 0) / 2 = 0 for 供应, 0 for 服务 → overall 0: low. The other shop answers 100 and is not flagged.
    low = submit(big[0], answers(items, s5=1, s10=1, v5=1, nps=2))
    submit(big[1], answers(items, s5=5, s10=10, v5=5, nps=10))
    rows = hidden_complaints(user=manager_a, today=timezone.localdate(), codes=["survey-low"])
    assert [(row.retailer.pk, [r.code for r in row.reasons]) for row in rows] == [
        (low.retailer_id, ["survey-low"])
    ]
    assert rows[0].reasons[0].reason == f"{survey.period} 满意度调查综合得分 0.0 分（低于 60 分）"
    # half a year later the answer no longer counts
    later = timezone.localdate() + datetime.timedelta(days=200)
    assert hidden_complaints(user=manager_a, today=later, codes=["survey-low"]) == []
