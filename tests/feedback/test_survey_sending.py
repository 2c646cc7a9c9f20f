"""Invitations really sent: through the campaigns engine to the fake SMS gateway, each consenting retailer gets its
own survey link (which opens its own invitation), the one who never consented gets nothing; the reminder reaches
only who has not answered."""

import re

import pytest

from campaigns.models import Delivery
from campaigns.services.sending import campaign_send
from core.links import retailer_link_read
from feedback.portal.links import SURVEY
from feedback.surveys.models import SurveyInvitation
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import gateway  # noqa: F401 — the fake HTTP SMS gateway fixture
from tests.feedback.conftest import sms_consent
from tests.feedback.factories import SurveyFactory

LINK = re.compile(r"/r/s/([^/\s]+)/")


@pytest.fixture
def invited(route_a, supervisor_a, segment_a, tiny_questionnaire, survey_campaign):
    consenting = [sms_consent(RetailerFactory(route=route_a)) for _ in range(3)]
    silent = RetailerFactory(route=route_a)  # never agreed to SMS
    questionnaire, items = tiny_questionnaire
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire, per_stratum=10)
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    occurrence = services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
    return survey, items, consenting, silent, occurrence


def texts_by_number(gateway, campaign):  # noqa: F811
    by_delivery = {str(d.pk): d.address for d in Delivery.objects.filter(campaign=campaign)}
    return {by_delivery[key]: text for key, text in gateway.texts.items() if key in by_delivery}


def test_each_consenting_retailer_gets_its_own_survey_link_and_the_others_nothing(gateway, invited):  # noqa: F811
    survey, _items, consenting, silent, occurrence = invited
    campaign_send(campaign_id=occurrence.pk)
    texts = texts_by_number(gateway, occurrence)
    assert set(texts) == {r.mobile for r in consenting}
    assert Delivery.objects.get(campaign=occurrence, retailer=silent).reason == Delivery.Reason.NO_CONSENT
    invitations = {i.retailer_id: i.pk for i in SurveyInvitation.objects.filter(survey=survey)}
    for retailer in consenting:
        token = LINK.search(texts[retailer.mobile]).group(1)
        link = retailer_link_read(token=token, purpose=SURVEY)
        assert (link.retailer_id, link.ref) == (retailer.pk, invitations[retailer.pk])


def test_the_reminder_is_sent_only_to_who_has_not_answered(gateway, invited, supervisor_a):  # noqa: F811
    survey, items, consenting, _silent, occurrence = invited
    campaign_send(campaign_id=occurrence.pk)
    answered = consenting[0]
    invitation = SurveyInvitation.objects.get(survey=survey, retailer=answered)
    data = {f"item_{items[k].pk}": v for k, v in {"s5": "4", "s10": "7", "v5": "5", "nps": "9"}.items()}
    survey_responses.survey_response_submit(invitation_id=invitation.pk, retailer_id=answered.pk, data=data)
    reminder = services.survey_remind(actor=supervisor_a, survey=survey)
    campaign_send(campaign_id=reminder.pk)
    assert set(texts_by_number(gateway, reminder)) == {r.mobile for r in consenting[1:]}
