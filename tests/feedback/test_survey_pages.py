"""The retailer's survey page and hub behind signed links, and the staff pages with their scoping."""

import datetime

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConsentEvent
from core.links import retailer_link_make
from feedback.portal.links import PORTAL, SURVEY, portal_path, survey_path
from feedback.surveys.models import SurveyExport, SurveyInvitation, SurveyResponse
from feedback.surveys.services import responses as survey_responses
from feedback.surveys.services import surveys as services
from tests.accounts.factories import RetailerFactory
from tests.feedback.conftest import sms_consent
from tests.feedback.factories import SurveyFactory


@pytest.fixture
def field_survey(route_a, supervisor_a, segment_a, tiny_questionnaire, survey_campaign):
    """Three shops of route_a, all sampled and invited (fixed 5 per stratum, one stratum)."""
    shops = [RetailerFactory(route=route_a) for _ in range(3)]
    questionnaire, items = tiny_questionnaire
    survey = SurveyFactory(actor=supervisor_a, segment=segment_a, questionnaire=questionnaire, per_stratum=5)
    services.survey_sample_draw(actor=supervisor_a, survey=survey)
    services.survey_invite(actor=supervisor_a, survey=survey, campaign=survey_campaign)
    invitations = {i.retailer_id: i for i in SurveyInvitation.objects.filter(survey=survey)}
    return survey, items, shops, invitations


def full_answers(items):
    return {
        f"item_{items['s5'].pk}": "4",
        f"item_{items['s10'].pk}": "7",
        f"item_{items['v5'].pk}": "5",
        f"item_{items['nps'].pk}": "9",
    }


def survey_link(shop, invitations):
    return survey_path(retailer_id=shop.pk, invitation_id=invitations[shop.pk].pk)


def test_the_retailer_answers_once_and_a_second_visit_says_already_answered(client, field_survey):
    _survey, items, shops, invitations = field_survey
    url = survey_link(shops[0], invitations)
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store, private"
    assert "供应" in page.content.decode()
    done = client.post(url, full_answers(items))
    assert done.status_code == 302
    thanks = client.get(done["Location"])
    assert "提交成功" in thanks.content.decode()
    again = client.post(url, {**full_answers(items), f"item_{items['nps'].pk}": "0"})
    assert "您已经提交过" in again.content.decode()
    assert SurveyResponse.objects.get().nps_value == 9
    assert "您已经提交过" in client.get(url).content.decode()


def test_a_missing_required_answer_is_flagged_and_what_was_typed_is_kept(client, field_survey):
    _survey, items, shops, invitations = field_survey
    url = survey_link(shops[0], invitations)
    data = {**full_answers(items), f"item_{items['v5'].pk}": "", f"item_{items['text'].pk}": "配送再早一点"}
    page = client.post(url, data)
    body = page.content.decode()
    assert page.status_code == 400
    assert "此题必答" in body
    assert "配送再早一点" in body
    assert f'id="item_{items["s5"].pk}-4" value="4" autocomplete="off" checked' in body
    assert not SurveyResponse.objects.exists()


def test_a_tampered_survey_link_is_refused(client, field_survey):
    _survey, _items, shops, invitations = field_survey
    url = survey_link(shops[0], invitations)
    token = url.split("/")[-2]
    forged = reverse(
        "feedback-public:survey", args=[token[:-2] + ("AA" if not token.endswith("AA") else "BB")]
    )
    page = client.get(forged)
    assert page.status_code == 404
    assert "链接无效" in page.content.decode()


def test_an_expired_survey_link_is_refused(client, field_survey, monkeypatch):
    _survey, _items, shops, invitations = field_survey
    url = survey_link(shops[0], invitations)
    later = timezone.now() + datetime.timedelta(days=31)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    page = client.get(url)
    assert page.status_code == 404
    assert "已过期" in page.content.decode()


def test_a_link_naming_another_retailers_invitation_is_refused(client, field_survey, tiny_questionnaire):
    _survey, items, shops, invitations = field_survey
    # signed correctly for shop 0, but the ref is shop 1's invitation
    token = retailer_link_make(retailer_id=shops[0].pk, purpose=SURVEY, ref=invitations[shops[1].pk].pk)
    url = reverse("feedback-public:survey", args=[token])
    assert client.get(url).status_code == 404
    assert client.post(url, full_answers(items)).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_a_portal_link_does_not_open_a_survey_and_a_survey_link_does_not_open_the_hub(client, field_survey):
    _survey, _items, shops, invitations = field_survey
    portal_token = retailer_link_make(retailer_id=shops[0].pk, purpose=PORTAL)
    assert client.get(reverse("feedback-public:survey", args=[portal_token])).status_code == 404
    survey_token = survey_link(shops[0], invitations).split("/")[-2]
    assert client.get(reverse("feedback-public:hub", args=[survey_token])).status_code == 404


def test_a_closed_survey_link_says_the_survey_ended(client, field_survey, supervisor_a):
    survey, items, shops, invitations = field_survey
    services.survey_close(actor=supervisor_a, survey=survey)
    url = survey_link(shops[0], invitations)
    assert "本次调查已结束" in client.get(url).content.decode()
    assert "本次调查已结束" in client.post(url, full_answers(items)).content.decode()
    assert not SurveyResponse.objects.exists()


def test_the_hub_shows_the_shop_its_open_survey_and_points(client, field_survey):
    _survey, _items, shops, _invitations = field_survey
    page = client.get(portal_path(retailer_id=shops[0].pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"
    assert shops[0].shop_name in body
    assert 'id="hub-survey"' in body
    assert 'id="hub-points-balance">0<' in body
    assert "/loyalty/m/" in body


def test_the_hub_unsubscribe_withdraws_consent_at_once_with_its_source(client, route_a):
    shop = sms_consent(RetailerFactory(route=route_a))
    hub = portal_path(retailer_id=shop.pk)
    url = reverse("feedback-public:unsubscribe", args=[hub.split("/")[-2]])
    assert "确认退订" in client.get(url).content.decode()
    shop.refresh_from_db()
    assert shop.sms_consent  # a GET changes nothing
    page = client.post(url)
    assert "已为您退订" in page.content.decode()
    shop.refresh_from_db()
    assert not shop.sms_consent
    event = ConsentEvent.objects.filter(retailer=shop).order_by("-id").first()
    assert (event.channel, event.granted, event.source) == ("sms", False, "retailer link")
    assert "此前已经退订" in client.post(url).content.decode()
    assert ConsentEvent.objects.filter(retailer=shop, granted=False).count() == 1


# ---- staff pages -------------------------------------------------------------------------------------------------
def test_the_supervisor_sees_the_strata_table_before_drawing(
    client_for, supervisor_a, segment_a, route_a, default_questionnaire
):
    for _ in range(4):
        RetailerFactory(route=route_a)
    survey = SurveyFactory(
        actor=supervisor_a, segment=segment_a, questionnaire=default_questionnaire, per_stratum=3
    )
    client = client_for(supervisor_a)
    page = client.get(reverse("feedback:survey-detail", args=[survey.pk]))
    body = page.content.decode()
    assert 'id="strata-plan"' in body
    assert 'id="plan-total">3<' in body
    assert not SurveyInvitation.objects.exists()
    client.post(reverse("feedback:survey-action", args=[survey.pk, "draw"]))
    assert SurveyInvitation.objects.filter(survey=survey).count() == 3


def test_another_territory_gets_404_on_survey_page_response_export_and_portrait_panel(
    client_for, field_survey, manager_b, manager_a, supervisor_a, retailer_b
):
    survey, items, shops, invitations = field_survey
    survey_responses.survey_response_submit(
        invitation_id=invitations[shops[0].pk].pk, retailer_id=shops[0].pk, data=full_answers(items)
    )
    response = SurveyResponse.objects.get()
    other = client_for(manager_b)
    assert other.get(reverse("feedback:survey-detail", args=[survey.pk])).status_code == 404
    assert other.get(reverse("feedback:survey-response", args=[response.pk])).status_code == 404
    assert other.get(reverse("feedback:retailer-service", args=[shops[0].pk])).status_code == 404
    mine = client_for(manager_a)
    assert mine.get(reverse("feedback:survey-detail", args=[survey.pk])).status_code == 200
    assert mine.get(reverse("feedback:survey-response", args=[response.pk])).status_code == 200
    assert (
        mine.get(reverse("feedback:survey-export", args=[survey.pk])).status_code == 403
    )  # managers do not export
    assert (
        client_for(supervisor_a).get(reverse("feedback:retailer-service", args=[retailer_b.pk])).status_code
        == 404
    )


def test_the_export_is_logged_with_its_row_count(client_for, field_survey, supervisor_a):
    survey, items, shops, invitations = field_survey
    for shop in shops[:2]:
        survey_responses.survey_response_submit(
            invitation_id=invitations[shop.pk].pk, retailer_id=shop.pk, data=full_answers(items)
        )
    response = client_for(supervisor_a).get(reverse("feedback:survey-export", args=[survey.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3
    assert "综合得分" in lines[0]
    assert "78.1" in lines[1]
    export = SurveyExport.objects.get()
    assert (export.user, export.survey, export.row_count) == (supervisor_a, survey, 2)


def test_staff_pages_render(client_for, field_survey, supervisor_a, retailer_a):
    survey, items, shops, invitations = field_survey
    survey_responses.survey_response_submit(
        invitation_id=invitations[shops[0].pk].pk, retailer_id=shops[0].pk, data=full_answers(items)
    )
    client = client_for(supervisor_a)
    for url in [
        reverse("feedback:survey-list"),
        reverse("feedback:survey-create"),
        reverse("feedback:survey-report"),
        reverse("feedback:questionnaire-list"),
        reverse("feedback:questionnaire-detail", args=[survey.questionnaire_id]),
        reverse("feedback:retailer-service", args=[shops[0].pk]),
        reverse("accounts:retailer-detail", args=[shops[0].pk]),
    ]:
        assert client.get(url).status_code == 200, url
    report = client.get(reverse("feedback:survey-report")).content.decode()
    assert "2026Q4" in report
    assert "王经理甲" in report


@pytest.mark.parametrize("name", ["feedback-public:hub", "feedback-public:unsubscribe"])
def test_the_hub_and_unsubscribe_refuse_tampered_expired_and_wrong_purpose_links(
    client, route_a, name, monkeypatch
):
    shop = sms_consent(RetailerFactory(route=route_a))
    good = retailer_link_make(retailer_id=shop.pk, purpose=PORTAL)
    tampered = good[:-3] + ("xyz" if not good.endswith("xyz") else "abc")
    survey_token = retailer_link_make(retailer_id=shop.pk, purpose=SURVEY, ref=1)
    for token in (tampered, survey_token):
        assert client.get(reverse(name, args=[token])).status_code == 404
        if name.endswith("unsubscribe"):
            assert client.post(reverse(name, args=[token])).status_code == 404
    later = timezone.now() + datetime.timedelta(days=31)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    send = client.post if name.endswith("unsubscribe") else client.get
    expired = send(reverse(name, args=[good]))
    assert expired.status_code == 404
    assert "已过期" in expired.content.decode()
    shop.refresh_from_db()
    assert shop.sms_consent


def test_a_closed_shops_links_no_longer_open(client, field_survey):
    from accounts.models import Retailer

    _survey, _items, shops, invitations = field_survey
    Retailer.objects.filter(pk=shops[0].pk).update(status=Retailer.Status.CLOSED)
    assert client.get(portal_path(retailer_id=shops[0].pk)).status_code == 404
    assert client.get(survey_link(shops[0], invitations)).status_code == 404


def test_too_many_requests_on_one_link_are_refused(client, field_survey, settings):
    from core import links as public_links

    _survey, _items, shops, invitations = field_survey
    url = survey_link(shops[0], invitations)
    statuses = [client.get(url).status_code for _ in range(public_links.TOKEN_LIMIT + 1)]
    assert statuses[:-1] == [200] * public_links.TOKEN_LIMIT
    assert statuses[-1] == 429


def test_the_response_list_pages_by_keyset_and_filters_low_scores(
    client_for, field_survey, supervisor_a, monkeypatch
):
    from feedback.surveys import selectors

    survey, items, shops, invitations = field_survey
    low = {
        **full_answers(items),
        f"item_{items['s5'].pk}": "1",
        f"item_{items['s10'].pk}": "1",
        f"item_{items['v5'].pk}": "1",
    }
    for shop, data in zip(shops, [full_answers(items), low, full_answers(items)], strict=True):
        survey_responses.survey_response_submit(
            invitation_id=invitations[shop.pk].pk, retailer_id=shop.pk, data=data
        )
    ids = list(SurveyResponse.objects.order_by("-id").values_list("id", flat=True))
    rows, cursor = selectors.response_page(user=supervisor_a, survey=survey, size=2)
    assert ([r.pk for r in rows], cursor) == (ids[:2], ids[1])
    rows, cursor = selectors.response_page(user=supervisor_a, survey=survey, before=cursor, size=2)
    assert ([r.pk for r in rows], cursor) == (ids[2:], None)
    rows, _cursor = selectors.response_page(user=supervisor_a, survey=survey, low_only=True)
    assert [r.retailer_id for r in rows] == [shops[1].pk]
    page = client_for(supervisor_a).get(reverse("feedback:survey-responses", args=[survey.pk]) + "?low=1")
    assert shops[1].shop_name in page.content.decode()
    assert shops[0].shop_name not in page.content.decode()


def test_the_survey_pages_cost_the_same_queries_for_few_or_many_answers(
    client_for, field_survey, supervisor_a
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    survey, items, shops, invitations = field_survey
    client = client_for(supervisor_a)
    urls = [
        reverse("feedback:survey-detail", args=[survey.pk]),
        reverse("feedback:survey-responses", args=[survey.pk]),
        reverse("feedback:survey-report"),
    ]
    survey_responses.survey_response_submit(
        invitation_id=invitations[shops[0].pk].pk, retailer_id=shops[0].pk, data=full_answers(items)
    )

    def counts():
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        return out

    few = counts()
    for shop in shops[1:]:
        survey_responses.survey_response_submit(
            invitation_id=invitations[shop.pk].pk, retailer_id=shop.pk, data=full_answers(items)
        )
    assert counts() == few
