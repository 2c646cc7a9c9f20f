"""What comes back: signed webhooks (receipts, replies) refuse bad signatures and stale timestamps and change
nothing then; a reply of T/TD/退订 opts the number out at once; the unsubscribe link works without a login;
clicks are counted; the send log is purged after its retention."""

import datetime
import json
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ConsentEvent, Retailer
from campaigns import templating
from campaigns.models import Delivery, InboundReply
from campaigns.services.inbound import is_opt_out, webhook_signature
from campaigns.services.retention import send_log_purge
from campaigns.services.sending import campaign_send
from core import links
from tests.campaigns.conftest import sending_campaign

SECRET = "webhook-secret-for-tests"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.CAMPAIGNS_WEBHOOK_SECRET = SECRET


def post_signed(url, payload, *, secret=SECRET, timestamp=None, signature=None):
    body = json.dumps(payload).encode()
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = signature or webhook_signature(secret, timestamp, body)
    return Client().post(
        url,
        data=body,
        content_type="application/json",
        HTTP_X_TIMESTAMP=timestamp,
        HTTP_X_SIGNATURE=signature,
    )


RECEIPTS = reverse("campaigns-webhook-receipts")
REPLIES = reverse("campaigns-webhook-replies")


@pytest.fixture
def sent_campaign(gateway, consenting, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    campaign_send(campaign_id=campaign.pk)
    return campaign


def test_a_signed_receipt_marks_the_delivery_delivered(sent_campaign):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    at = "2026-05-01T09:30:00+08:00"
    payload = {
        "receipts": [
            {
                "id": str(delivery.pk),
                "message_id": delivery.provider_message_id,
                "status": "delivered",
                "at": at,
            }
        ]
    }

    response = post_signed(RECEIPTS, payload)

    assert response.status_code == 200
    assert response.json() == {"received": 1, "updated": 1}
    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.DELIVERED
    assert delivery.delivered_at.isoformat() == "2026-05-01T01:30:00+00:00"


def test_a_failure_receipt_keeps_the_gateways_reason(sent_campaign):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    post_signed(
        RECEIPTS, {"receipts": [{"id": str(delivery.pk), "status": "failed", "error": "UNDELIV 停机"}]}
    )
    delivery.refresh_from_db()
    assert (delivery.state, delivery.error) == (Delivery.State.FAILED, "UNDELIV 停机")


@pytest.mark.parametrize(
    "tamper",
    [
        {"signature": "0" * 64},
        {"secret": "someone-elses-secret"},
        {"timestamp": int(time.time()) - 3600},  # a captured request replayed an hour later
        {"timestamp": "yesterday"},
    ],
)
def test_webhooks_refuse_bad_signatures_and_stale_timestamps_and_change_nothing(
    sent_campaign, consenting, tamper
):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    receipt = {"receipts": [{"id": str(delivery.pk), "status": "delivered"}]}
    reply = {"replies": [{"from": consenting[0].mobile, "text": "T"}]}

    assert post_signed(RECEIPTS, receipt, **tamper).status_code == 403
    assert post_signed(REPLIES, reply, **tamper).status_code == 403

    delivery.refresh_from_db()
    assert delivery.state == Delivery.State.SENT
    assert Retailer.objects.get(pk=consenting[0].pk).sms_consent is True
    assert not InboundReply.objects.exists()


def test_webhooks_answer_503_until_a_secret_is_configured(settings, sent_campaign):
    settings.CAMPAIGNS_WEBHOOK_SECRET = ""
    assert post_signed(RECEIPTS, {"receipts": []}, secret="").status_code == 503


def test_a_malformed_signed_body_is_a_400(sent_campaign):
    assert post_signed(RECEIPTS, {"nope": []}).status_code == 400
    assert post_signed(RECEIPTS, {"receipts": [{"id": "abc", "status": "delivered"}]}).status_code == 400
    assert post_signed(REPLIES, {"replies": [{"from": 138}]}).status_code == 400


def test_webhooks_take_no_get_and_no_csrf_token():
    assert Client(enforce_csrf_checks=True).get(RECEIPTS).status_code == 405


@pytest.mark.parametrize("text", ["T", "t", " TD ", "退订", "td。", "T退订"])
def test_opt_out_words(text):
    assert is_opt_out(text)


@pytest.mark.parametrize("text", ["谢谢", "TT", "退订不了", "", "好的T"])
def test_other_replies_are_not_opt_outs(text):
    assert not is_opt_out(text)


def test_a_reply_of_t_opts_every_shop_with_that_number_out_at_once(consenting, route_a):
    from tests.accounts.factories import RetailerFactory
    from tests.campaigns.conftest import consent

    shared = consent(RetailerFactory(route=route_a, mobile=consenting[0].mobile))

    response = post_signed(REPLIES, {"replies": [{"from": f"86{consenting[0].mobile}", "text": "退订"}]})

    assert response.json() == {"received": 1, "opted_out": 2}
    for retailer in (consenting[0], shared):
        retailer.refresh_from_db()
        assert retailer.sms_consent is False
        event = ConsentEvent.objects.filter(retailer=retailer).first()
        assert (event.granted, event.source, event.channel) == (False, "短信回复退订", "sms")
    reply = InboundReply.objects.get()
    assert (reply.from_number, reply.is_opt_out, reply.retailers_opted_out) == (consenting[0].mobile, True, 2)
    assert Retailer.objects.get(pk=consenting[1].pk).sms_consent is True


def test_the_unsubscribe_link_works_without_a_login(sent_campaign):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    url = templating.unsubscribe_url(delivery.pk).removeprefix(templating.public_url(""))
    client = Client(enforce_csrf_checks=True)

    page = client.get(url)
    assert page.status_code == 200
    assert "确认退订" in page.content.decode()
    assert Retailer.objects.get(pk=delivery.retailer_id).sms_consent is True

    done = client.post(url)
    assert done.status_code == 200
    assert "即时生效" in done.content.decode()
    retailer = Retailer.objects.get(pk=delivery.retailer_id)
    assert retailer.sms_consent is False
    assert retailer.sms_consent_source == "退订链接"


def test_a_mail_clients_one_click_unsubscribe_is_answered_plainly(sent_campaign):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    url = f"/u/{templating.link_code('u', delivery.pk)}"
    response = Client().post(url, data={"List-Unsubscribe": "One-Click"})
    assert response.content == b"unsubscribed"
    assert Retailer.objects.get(pk=delivery.retailer_id).sms_consent is False


def test_a_forged_unsubscribe_link_is_a_404_and_changes_nothing(sent_campaign):
    delivery = Delivery.objects.filter(campaign=sent_campaign).first()
    forged = f"/u/{links._b62(delivery.pk)}-AAAAAAAAAA"
    assert Client().post(forged).status_code == 404
    assert Retailer.objects.get(pk=delivery.retailer_id).sms_consent is True


def test_a_click_is_counted_once_and_redirects_to_the_campaign_link(
    gateway, consenting, county_a, supervisor_a
):
    from tests.campaigns.factories import TemplateFactory, sms_body

    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a, body=sms_body("详情 {{ link }} "))
    campaign = sending_campaign(template=template, retailers=consenting, link_url="https://example.com/new")
    campaign_send(campaign_id=campaign.pk)
    delivery = Delivery.objects.filter(campaign=campaign).first()
    link = templating.click_url(delivery.pk)
    assert link in gateway.texts[str(delivery.pk)]

    response = Client().get(link.removeprefix(templating.public_url("")))
    assert (response.status_code, response["Location"]) == (302, "https://example.com/new")
    first = Delivery.objects.get(pk=delivery.pk).clicked_at
    Client().get(link.removeprefix(templating.public_url("")))
    assert Delivery.objects.get(pk=delivery.pk).clicked_at == first is not None


def test_retention_removes_send_logs_older_than_the_limit_and_keeps_the_counts(sent_campaign, settings):
    settings.CAMPAIGNS_SEND_LOG_RETENTION_DAYS = 183
    old = Delivery.objects.filter(campaign=sent_campaign).order_by("id")[:2]
    Delivery.objects.filter(pk__in=[d.pk for d in old]).update(
        created_at=timezone.now() - datetime.timedelta(days=184)
    )
    InboundReply.objects.create(
        from_number="13800000000", text="好", received_at=timezone.now() - datetime.timedelta(days=200)
    )
    recent_reply = InboundReply.objects.create(from_number="13800000000", text="好")

    assert send_log_purge() == 2

    assert Delivery.objects.filter(campaign=sent_campaign).count() == 3
    sent_campaign.refresh_from_db()
    assert sent_campaign.stats["counts"]["states"]["sent"] == 5
    assert list(InboundReply.objects.all()) == [recent_reply]
