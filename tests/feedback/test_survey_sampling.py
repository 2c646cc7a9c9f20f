"""Strata and the reproducible draw, on a hand-built population of county A."""

import pytest
from django.core.exceptions import ValidationError

from core.errors import ConflictError
from feedback.surveys.models import Survey, SurveyInvitation
from feedback.surveys.services import surveys as services
from tests.accounts.factories import RetailerFactory
from tests.feedback.factories import SurveyFactory

# (market type, format, scale) -> shops: 60 town convenience medium, 30 rural grocery small, 8 town
# tobacco&liquor large, 2 rural supermarket medium: 100 in all.
POPULATION = {("C", "B", "2"): 60, ("X", "Z", "3"): 30, ("C", "Y", "1"): 8, ("X", "S", "2"): 2}


@pytest.fixture
def population(route_a):
    shops = []
    for (market, fmt, scale), n in POPULATION.items():
        shops += [
            RetailerFactory(route=route_a, market_type=market, business_format=fmt, scale=scale)
            for _ in range(n)
        ]
    return shops


def plan_of(survey):
    return {
        (p.market_type, p.business_format, p.scale): (p.population, p.sample_size)
        for p in services.survey_strata_plan(survey=survey)
    }


def test_proportional_allocation_rounds_half_up_and_lifts_small_strata_to_the_minimum(
    population, supervisor_a, segment_a, default_questionnaire
):
    survey = SurveyFactory(
        actor=supervisor_a,
        segment=segment_a,
        questionnaire=default_questionnaire,
        allocation="proportional",
        sample_size=25,
        min_per_stratum=3,
    )
    # 25 × 60/100 = 15; 25 × 30/100 = 7.5 → 8; 25 × 8/100 = 2 → minimum 3; 25 × 2/100 = 0.5 → 3, but only 2 exist
    assert plan_of(survey) == {
        ("C", "B", "2"): (60, 15),
        ("X", "Z", "3"): (30, 8),
        ("C", "Y", "1"): (8, 3),
        ("X", "S", "2"): (2, 2),
    }


def test_fixed_allocation_takes_the_same_number_from_every_stratum_capped_by_its_size(
    population, supervisor_a, segment_a, default_questionnaire
):
    survey = SurveyFactory(
        actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire, per_stratum=10
    )
    assert plan_of(survey) == {
        ("C", "B", "2"): (60, 10),
        ("X", "Z", "3"): (30, 10),
        ("C", "Y", "1"): (8, 8),
        ("X", "S", "2"): (2, 2),
    }


def test_the_draw_writes_one_invitation_per_sampled_shop_with_its_sampling_weight(
    population, supervisor_a, segment_a, default_questionnaire
):
    survey = SurveyFactory(
        actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire, per_stratum=10
    )
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    survey.refresh_from_db()
    assert survey.state == Survey.State.SAMPLED
    invitations = SurveyInvitation.objects.filter(survey=survey).select_related("retailer", "stratum")
    assert invitations.count() == 30
    by_stratum = {}
    for inv in invitations:
        key = (inv.retailer.market_type, inv.retailer.business_format, inv.retailer.scale)
        assert key == (inv.stratum.market_type, inv.stratum.business_format, inv.stratum.scale)
        by_stratum.setdefault(key, set()).add(inv.weight)
    assert by_stratum == {
        ("C", "B", "2"): {6.0},
        ("X", "Z", "3"): {3.0},
        ("C", "Y", "1"): {1.0},
        ("X", "S", "2"): {1.0},
    }


def _sample(actor, segment, questionnaire, seed, name):
    survey = SurveyFactory(
        actor=actor, segment=segment, questionnaire=questionnaire, per_stratum=10, seed=seed, name=name
    )
    services.survey_sample_draw(actor=actor, survey=survey)
    return set(SurveyInvitation.objects.filter(survey=survey).values_list("retailer_id", flat=True))


def test_the_same_seed_over_the_same_population_draws_the_same_sample_and_another_seed_another(
    population, supervisor_a, segment_a, default_questionnaire
):
    first = _sample(supervisor_a, segment_a, default_questionnaire, "seed-1", "甲")
    again = _sample(supervisor_a, segment_a, default_questionnaire, "seed-1", "乙")
    other = _sample(supervisor_a, segment_a, default_questionnaire, "seed-2", "丙")
    assert first == again
    assert len(first) == len(other) == 30
    assert first != other


def test_redrawing_before_invitations_gives_the_same_sample_and_no_duplicates(
    population, supervisor_a, segment_a, default_questionnaire
):
    survey = SurveyFactory(
        actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire, per_stratum=10
    )
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    before = set(SurveyInvitation.objects.filter(survey=survey).values_list("retailer_id", flat=True))
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    after = list(SurveyInvitation.objects.filter(survey=survey).values_list("retailer_id", flat=True))
    assert len(after) == 30
    assert set(after) == before


def test_closed_shops_and_other_counties_are_not_in_the_population(
    population, route_b, supervisor_a, segment_a, default_questionnaire
):
    from accounts.models import Retailer

    RetailerFactory(route=route_b, market_type="C", business_format="B", scale="2")
    Retailer.objects.filter(pk=population[0].pk).update(status=Retailer.Status.CLOSED)
    survey = SurveyFactory(
        actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire, per_stratum=10
    )
    assert plan_of(survey)[("C", "B", "2")] == (59, 10)


def test_a_survey_refuses_a_draft_questionnaire_a_bad_quarter_and_a_missing_size(
    supervisor_a, segment_a, tiny_questionnaire
):
    questionnaire, _items = tiny_questionnaire
    questionnaire.state = "draft"
    questionnaire.save()
    with pytest.raises(ValidationError) as error:
        SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire)
    assert "questionnaire" in error.value.message_dict
    questionnaire.state = "published"
    questionnaire.save()
    with pytest.raises(ValidationError) as error:
        SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire, period="2026Q5")
    assert "period" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire, per_stratum=0)
    assert "per_stratum" in error.value.message_dict
    assert not Survey.objects.exists()


def test_an_empty_population_is_refused_and_nothing_is_written(
    supervisor_a, segment_a, default_questionnaire
):
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire)
    with pytest.raises(ValidationError):
        services.survey_sample_draw(actor=supervisor_a, survey=survey)
    survey.refresh_from_db()
    assert survey.state == Survey.State.DRAFT
    assert not survey.strata.exists()


def test_a_customer_manager_may_not_create_or_draw_a_survey(
    population, manager_a, supervisor_a, segment_a, default_questionnaire
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        SurveyFactory(actor=manager_a, segment=segment_a, questionnaire=default_questionnaire)
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire)
    with pytest.raises(PermissionDenied):
        services.survey_sample_draw(actor=manager_a, survey=survey)


def test_the_sample_cannot_be_redrawn_once_invitations_went_out(
    population, supervisor_a, segment_a, default_questionnaire, survey_campaign
):
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire)
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
    with pytest.raises(ConflictError):
        services.survey_sample_draw(actor=supervisor_a, survey=survey)
