"""The survey API (create → strata → draw → invite → results, scoped) and the admin pages."""

import pytest
from django.urls import reverse

from feedback.surveys.models import Survey, SurveyExport, SurveyInvitation, SurveyResponse
from feedback.surveys.services import questionnaires
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from tests.accounts.factories import RetailerFactory


@pytest.fixture
def shops(route_a):
    return [RetailerFactory(route=route_a, business_format="Z", scale="3", market_type="X") for _ in range(5)]


@pytest.fixture
def answered_survey(supervisor_a, segment_a, default_questionnaire, survey_campaign, shops):
    """answered_survey(score) -> (survey, response): segment_a's shops surveyed with the default questionnaire and
    invited through the survey campaign; one invitation answered with `score` on every scored item."""

    def answer(score: str):
        survey = services.survey_create(
            actor=supervisor_a,
            name="调查",
            questionnaire=default_questionnaire,
            period="2026Q4",
            org_unit=segment_a.org_unit,
            segment=segment_a,
            allocation="fixed",
            per_stratum=5,
            seed="s",
        )
        services.survey_sample_draw(actor=supervisor_a, survey=survey)
        services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
        invitation = SurveyInvitation.objects.filter(survey=survey).first()
        items = {
            f"item_{item.pk}": score
            for area in default_questionnaire.areas.all()
            for item in area.items.all()
            if item.kind != "text"
        }
        response = survey_responses.survey_response_submit(
            invitation_id=invitation.pk, retailer_id=invitation.retailer_id, data=items
        )
        return survey, response

    return answer


def test_a_supervisor_runs_a_survey_through_the_api(
    api_client_for, supervisor_a, segment_a, default_questionnaire, survey_campaign, shops
):
    api = api_client_for(supervisor_a)
    created = api.post(
        "/api/v1/surveys/",
        {
            "name": "四季度调查",
            "questionnaire": default_questionnaire.pk,
            "period": "2026Q4",
            "org_unit": segment_a.org_unit_id,
            "segment": segment_a.pk,
            "allocation": "proportional",
            "sample_size": 3,
            "min_per_stratum": 1,
            "seed": "api-seed",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    survey_id = created.json()["id"]
    strata = api.get(f"/api/v1/surveys/{survey_id}/strata/").json()
    assert [(s["code"], s["population"], s["sample_size"]) for s in strata] == [("XZ3", 5, 3)]
    assert api.post(f"/api/v1/surveys/{survey_id}/draw/").status_code == 200
    invited = api.post(
        f"/api/v1/surveys/{survey_id}/invite/", {"campaign": survey_campaign.pk}, format="json"
    )
    assert invited.json()["status"] == "fieldwork"
    again = api.post(f"/api/v1/surveys/{survey_id}/invite/", {"campaign": survey_campaign.pk}, format="json")
    assert again.status_code == 409
    results = api.get(f"/api/v1/surveys/{survey_id}/results/").json()
    assert (results["sampled"], results["invited"], results["answered"], results["index"]) == (3, 3, 0, None)
    assert results["strata"][0]["weight"] == pytest.approx(5 / 3)


def test_bad_survey_input_is_a_400_naming_the_field_and_writes_nothing(
    api_client_for, supervisor_a, segment_a, default_questionnaire
):
    api = api_client_for(supervisor_a)
    body = {
        "name": "坏季度",
        "questionnaire": default_questionnaire.pk,
        "period": "2026-4",
        "org_unit": segment_a.org_unit_id,
        "segment": segment_a.pk,
        "allocation": "fixed",
        "per_stratum": 5,
        "seed": "x",
    }
    response = api.post("/api/v1/surveys/", body, format="json")
    assert response.status_code == 400
    assert "period" in response.json()
    assert not Survey.objects.exists()


def test_the_api_is_scoped_and_a_manager_cannot_create(
    api_client_for, supervisor_a, manager_a, manager_b, answered_survey
):
    survey, response = answered_survey("5")
    assert response.overall_score == 100.0
    other = api_client_for(manager_b)
    assert other.get(f"/api/v1/surveys/{survey.pk}/").status_code == 404
    assert other.get(f"/api/v1/survey-responses/{response.pk}/").status_code == 404
    assert other.get("/api/v1/survey-responses/").json()["results"] == []
    mine = api_client_for(manager_a)
    assert mine.get(f"/api/v1/survey-responses/{response.pk}/").json()["overall_score"] == 100.0
    assert mine.post("/api/v1/surveys/", {}, format="json").status_code == 403
    assert mine.get(f"/api/v1/surveys/{survey.pk}/export/").status_code == 403
    export = api_client_for(supervisor_a).get(f"/api/v1/surveys/{survey.pk}/export/")
    assert export.status_code == 200
    assert SurveyExport.objects.get().row_count == 1
    trend = api_client_for(supervisor_a).get("/api/v1/surveys/trends/?by=manager").json()
    assert [(t["period"], t["label"], t["index"]) for t in trend] == [("2026Q4", "王经理甲", 100.0)]


def test_a_published_questionnaire_is_frozen_and_changes_by_a_new_version(
    api_client_for, supervisor_a, default_questionnaire
):
    from core.errors import ConflictError

    with pytest.raises(ConflictError):
        questionnaires.question_area_save(
            actor=supervisor_a, questionnaire=default_questionnaire, name="新领域", weight=5
        )
    api = api_client_for(supervisor_a)
    copy = api.post(f"/api/v1/survey-questionnaires/{default_questionnaire.pk}/new-version/")
    assert copy.status_code == 201
    body = copy.json()
    assert (body["version"], body["status"]) == (2, "draft")
    assert sum(len(a["items"]) for a in body["areas"]) == 31
    assert (
        api.post(f"/api/v1/survey-questionnaires/{default_questionnaire.pk}/new-version/").status_code == 409
    )
    published = api.post(f"/api/v1/survey-questionnaires/{body['id']}/publish/")
    assert published.json()["status"] == "published"
    default_questionnaire.refresh_from_db()
    assert default_questionnaire.state == "retired"


def test_the_default_questionnaire_has_the_seven_areas_about_thirty_items_and_an_nps_question(
    default_questionnaire,
):
    areas = list(default_questionnaire.areas.prefetch_related("items"))
    names = [a.name for a in areas]
    assert names[:7] == [
        "货源供应",
        "订货服务",
        "配送服务",
        "客户经理服务",
        "结算服务",
        "投诉处理",
        "市场监管",
    ]
    kinds = [i.kind for a in areas for i in a.items.all()]
    assert kinds.count("scale5") == 29
    assert kinds.count("nps") == 1


def test_admin_pages_of_every_survey_model_open(client_for, company_admin, field_data):
    client = client_for(company_admin)
    for name in [
        "questionnaire",
        "questionarea",
        "questionitem",
        "survey",
        "surveystratum",
        "surveyinvitation",
        "surveyresponse",
        "surveyanswer",
        "surveyareascore",
        "surveyexport",
    ]:
        url = reverse(f"admin:feedback_{name}_changelist")
        assert client.get(url).status_code == 200, url
        assert client.get(url + "?q=店").status_code == 200, url
    response = SurveyResponse.objects.get()
    assert client.get(reverse("admin:feedback_surveyresponse_change", args=[response.pk])).status_code == 200


@pytest.fixture
def field_data(answered_survey):
    survey, _response = answered_survey("4")
    return survey


def test_a_supervisor_of_another_county_sees_neither_the_survey_nor_its_answers(
    api_client_for, client_for, county_b, field_data
):
    from tests.users.factories import SupervisorFactory

    other = SupervisorFactory(username="supervisor_b", org_unit=county_b)
    response = SurveyResponse.objects.get()
    api = api_client_for(other)
    assert api.get(f"/api/v1/surveys/{field_data.pk}/").status_code == 404
    assert api.get(f"/api/v1/surveys/{field_data.pk}/results/").status_code == 404
    assert api.get(f"/api/v1/surveys/{field_data.pk}/export/").status_code == 404
    assert api.post(f"/api/v1/surveys/{field_data.pk}/remind/").status_code == 404
    assert api.get(f"/api/v1/survey-responses/{response.pk}/").status_code == 404
    assert api.get("/api/v1/surveys/").json()["results"] == []
    page = client_for(other)
    assert page.get(reverse("feedback:survey-detail", args=[field_data.pk])).status_code == 404
    assert page.get(reverse("feedback:survey-responses", args=[field_data.pk])).status_code == 404
    assert page.post(reverse("feedback:survey-action", args=[field_data.pk, "close"])).status_code == 404
    field_data.refresh_from_db()
    assert field_data.state == "fieldwork"


def test_an_invite_without_a_campaign_is_a_400(api_client_for, supervisor_a, field_data):
    from feedback.surveys.models import Survey as SurveyModel

    draft = services.survey_create(
        actor=supervisor_a,
        name="另一次",
        questionnaire=field_data.questionnaire,
        period="2026Q4",
        org_unit=field_data.org_unit,
        segment=field_data.segment,
        allocation="fixed",
        per_stratum=2,
        seed="t",
    )
    services.survey_sample_draw(actor=supervisor_a, survey=draft)
    response = api_client_for(supervisor_a).post(f"/api/v1/surveys/{draft.pk}/invite/", {}, format="json")
    assert response.status_code == 400
    assert "campaign" in response.json()
    assert SurveyModel.objects.get(pk=draft.pk).state == "sampled"


def test_a_company_surveys_strata_plan_is_for_who_may_run_it(
    api_client_for, supervisor_a, company_admin, company, default_questionnaire
):
    from segmentation.segments.services import segment_create
    from tests.feedback.conftest import EVERYONE
    from tests.feedback.factories import SurveyFactory

    segment = segment_create(user=company_admin, name="全市", org_unit=company, definition=EVERYONE)
    survey = SurveyFactory(actor=company_admin, segment=segment, questionnaire=default_questionnaire)
    api = api_client_for(supervisor_a)
    assert api.get(f"/api/v1/surveys/{survey.pk}/").status_code == 404
    assert api.get(f"/api/v1/surveys/{survey.pk}/strata/").status_code == 404
    assert api_client_for(company_admin).get(f"/api/v1/surveys/{survey.pk}/strata/").status_code == 200
