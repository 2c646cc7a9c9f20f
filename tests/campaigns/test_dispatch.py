"""The delivery engine against the fake HTTP gateway: each recipient once, every send-time rule re-checked in the
claim, retries with backoff, final failures with their reason, and a resend after a crash deduplicated."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from accounts.models import Retailer
from accounts.services import retailer_consent_set
from campaigns.models import Campaign, Delivery, Purpose
from campaigns.services.campaigns import campaign_cancel, campaign_pause, campaign_resume
from campaigns.services.claims import (
    deliveries_claim,
    deliveries_requeue_stale,
    in_quiet_hours,
    quiet_hours_end,
)
from campaigns.services.sending import (
    RETRY_BASE_SECONDS,
    campaign_context,
    campaign_send,
    deliveries_record,
    messages_build,
)
from campaigns.services.snapshot import deliveries_snapshot
from tests.accounts.factories import RetailerFactory
from tests.campaigns.conftest import consent, sending_campaign

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*parts) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=SHANGHAI)


def states(campaign):
    return dict(
        Delivery.objects.filter(campaign=campaign).values_list("retailer_id", "state").order_by("retailer_id")
    )


def test_pump_sends_each_recipient_once_with_the_rendered_text(gateway, consenting, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=consenting)

    result = campaign_send(campaign_id=campaign.pk)

    assert result.sent == 5
    assert set(states(campaign).values()) == {Delivery.State.SENT}
    stats = gateway.stats()
    assert stats["unique_keys"] == stats["raw_messages"] == 5
    assert stats["max_per_number"] == 1
    first = Delivery.objects.filter(campaign=campaign).order_by("id").first()
    text = gateway.texts[str(first.pk)]
    assert text.startswith("【烟草公司】")
    assert first.retailer.owner_name in text
    assert text.endswith("回T退订")
    assert first.provider_message_id.startswith("F")
    assert first.address == first.retailer.mobile
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE
    assert campaign.finished_at is not None


def test_send_skips_refusing_or_invalid_retailers_with_their_reason(
    gateway, route_a, sms_template, manager_a
):
    ok = consent(RetailerFactory(route=route_a))
    never_asked = RetailerFactory(route=route_a)
    opted_out = consent(RetailerFactory(route=route_a))
    retailer_consent_set(actor=None, retailer=opted_out, channel="sms", granted=False, source="短信回复退订")
    expired = consent(
        RetailerFactory(
            route=route_a,
            licence_issued_on=timezone.localdate() - datetime.timedelta(days=3 * 365),
            licence_expires_on=timezone.localdate() - datetime.timedelta(days=1),
        )
    )
    suspended_licence = consent(
        RetailerFactory(route=route_a, licence_status=Retailer.LicenceStatus.SUSPENDED)
    )
    closed = consent(RetailerFactory(route=route_a))
    Retailer.objects.filter(pk=closed.pk).update(status=Retailer.Status.CLOSED)
    everyone = [ok, never_asked, opted_out, expired, suspended_licence, closed]
    campaign = sending_campaign(template=sms_template, retailers=everyone)

    result = campaign_send(campaign_id=campaign.pk)

    assert (result.sent, result.skipped) == (1, 5)
    rows = {d.retailer_id: d for d in Delivery.objects.filter(campaign=campaign)}
    assert rows[ok.pk].state == Delivery.State.SENT
    assert {rid: (d.state, d.reason) for rid, d in rows.items() if rid != ok.pk} == {
        never_asked.pk: ("skipped", "no_consent"),
        opted_out.pk: ("skipped", "opted_out"),
        expired.pk: ("skipped", "licence_invalid"),
        suspended_licence.pk: ("skipped", "licence_invalid"),
        closed.pk: ("skipped", "inactive"),
    }
    assert gateway.stats()["unique_keys"] == 1


def test_opt_out_in_the_middle_of_a_campaign_stops_the_next_message(
    gateway, consenting, sms_template, settings
):
    settings.CAMPAIGNS_BATCH_SIZE = 2
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    first_two = deliveries_claim(campaign=campaign, limit=2)
    assert len(first_two.sendable) == 2
    deliveries_record(
        results=gateway_send(campaign, first_two),
    )
    later = Delivery.objects.filter(campaign=campaign, state=Delivery.State.QUEUED).order_by("id").first()

    # the retailer replies T to an earlier message: the number is opted out at once
    from campaigns.services.inbound import reply_receive

    reply_receive(from_number=f"+86{later.retailer.mobile}", text=" t ")
    campaign_send(campaign_id=campaign.pk)

    later.refresh_from_db()
    assert (later.state, later.reason) == (Delivery.State.SKIPPED, Delivery.Reason.OPTED_OUT)
    assert later.retailer.mobile not in set(gateway.per_number)
    assert Delivery.objects.filter(campaign=campaign, state=Delivery.State.SENT).count() == 4


def gateway_send(campaign, claimed):
    from campaigns.channels import backend_for

    messages, incomplete = messages_build(
        campaign=campaign, claimed=claimed, context=campaign_context(campaign)
    )
    assert incomplete == []
    return backend_for("sms").send(messages)


def test_frequency_cap_counts_marketing_messages_across_campaigns(
    gateway, consenting, sms_template, settings
):
    settings.CAMPAIGNS_FREQUENCY_CAP = 2
    retailer = consenting[0]
    for _ in range(2):
        campaign_send(campaign_id=sending_campaign(template=sms_template, retailers=[retailer]).pk)
    third = sending_campaign(template=sms_template, retailers=consenting)
    notice = sending_campaign(template=sms_template, retailers=[retailer], purpose=Purpose.NOTICE)

    campaign_send(campaign_id=third.pk)
    campaign_send(campaign_id=notice.pk)

    capped = Delivery.objects.get(campaign=third, retailer=retailer)
    assert (capped.state, capped.reason) == (Delivery.State.SKIPPED, Delivery.Reason.FREQUENCY_CAP)
    assert Delivery.objects.filter(campaign=third, state=Delivery.State.SENT).count() == 4
    # a service notice is not marketing: the cap does not hold it back
    assert Delivery.objects.get(campaign=notice).state == Delivery.State.SENT
    assert gateway.per_number[retailer.mobile] == 3


def test_frequency_cap_forgets_messages_older_than_the_window(gateway, consenting, sms_template, settings):
    settings.CAMPAIGNS_FREQUENCY_CAP = 1
    retailer = consenting[0]
    old = sending_campaign(template=sms_template, retailers=[retailer])
    campaign_send(campaign_id=old.pk)
    Delivery.objects.filter(campaign=old).update(claimed_at=timezone.now() - datetime.timedelta(days=8))

    recent = sending_campaign(template=sms_template, retailers=[retailer])
    campaign_send(campaign_id=recent.pk)

    assert Delivery.objects.get(campaign=recent).state == Delivery.State.SENT


def _window_around_now(minutes_before: int, minutes_after: int) -> tuple[datetime.time, datetime.time]:
    now = timezone.localtime()
    start = (now - datetime.timedelta(minutes=minutes_before)).time().replace(second=0, microsecond=0)
    end = (now + datetime.timedelta(minutes=minutes_after)).time().replace(second=0, microsecond=0)
    return start, end


def test_quiet_hours_hold_messages_until_the_quiet_hours_end(gateway, consenting, sms_template):
    start, end = _window_around_now(30, 30)
    campaign = sending_campaign(template=sms_template, retailers=consenting, quiet_start=start, quiet_end=end)

    result = campaign_send(campaign_id=campaign.pk)

    assert result.sent == 0
    assert gateway.stats()["raw_messages"] == 0
    waiting = Delivery.objects.filter(campaign=campaign)
    assert {d.state for d in waiting} == {Delivery.State.QUEUED}
    expected_end = quiet_hours_end(campaign, timezone.now())
    assert {d.not_before for d in waiting} == {expected_end}
    assert 29 * 60 <= result.next_in <= 31 * 60
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING  # waiting for the morning, not done

    # the morning comes: the quiet hours are over and the deferred rows are due
    Campaign.objects.filter(pk=campaign.pk).update(quiet_start=datetime.time(21), quiet_end=datetime.time(8))
    Delivery.objects.filter(campaign=campaign).update(not_before=None)
    if in_quiet_hours(Campaign.objects.get(pk=campaign.pk), timezone.now()):
        Campaign.objects.filter(pk=campaign.pk).update(quiet_start=None, quiet_end=None)
    assert campaign_send(campaign_id=campaign.pk).sent == 5


def test_quiet_hours_are_checked_in_the_claim_itself(gateway, consenting, sms_template):
    """Even a claim that skips the pump's own check (a worker that read the campaign before the quiet hours)
    takes nothing inside them."""
    start, end = _window_around_now(5, 5)
    campaign = sending_campaign(template=sms_template, retailers=consenting, quiet_start=start, quiet_end=end)

    assert deliveries_claim(campaign=campaign, limit=10).examined == 0


@pytest.mark.parametrize(
    ("start", "end", "at", "quiet"),
    [
        ((21, 0), (8, 0), (22, 30), True),
        ((21, 0), (8, 0), (7, 59), True),
        ((21, 0), (8, 0), (8, 0), False),
        ((21, 0), (8, 0), (20, 59), False),
        ((12, 0), (14, 0), (13, 0), True),
        ((12, 0), (14, 0), (14, 0), False),
    ],
)
def test_quiet_hours_over_and_within_a_day(start, end, at, quiet):
    campaign = Campaign(quiet_start=datetime.time(*start), quiet_end=datetime.time(*end))
    moment = local(2026, 3, 2, *at)
    assert in_quiet_hours(campaign, moment) is quiet


def test_quiet_hours_end_is_the_next_morning():
    campaign = Campaign(quiet_start=datetime.time(21), quiet_end=datetime.time(8))
    evening = local(2026, 3, 2, 22, 15)
    early = local(2026, 3, 3, 6, 0)
    assert quiet_hours_end(campaign, evening) == local(2026, 3, 3, 8, 0)
    assert quiet_hours_end(campaign, early) == local(2026, 3, 3, 8, 0)


def test_a_resend_after_a_crash_reuses_the_key_and_reaches_nobody_twice(
    gateway, consenting, sms_template, settings
):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    claimed = deliveries_claim(campaign=campaign, limit=10)
    gateway_send(campaign, claimed)  # the gateway accepted … and the worker died before recording
    assert set(states(campaign).values()) == {Delivery.State.SENDING}

    settings.CAMPAIGNS_SENDING_LEASE_SECONDS = 0
    assert deliveries_requeue_stale() == {campaign.pk}
    campaign_send(campaign_id=campaign.pk)

    assert set(states(campaign).values()) == {Delivery.State.SENT}
    stats = gateway.stats()
    assert stats["raw_messages"] == 10  # every message went to the gateway twice …
    assert stats["unique_keys"] == 5  # … and the gateway delivered each once
    assert stats["max_per_number"] == 1
    first = Delivery.objects.filter(campaign=campaign).order_by("id").first()
    assert first.attempts == 2
    assert first.provider_message_id == gateway.keys[str(first.pk)]


def test_live_claims_are_not_taken_back_before_the_lease_runs_out(gateway, consenting, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    deliveries_claim(campaign=campaign, limit=10)
    assert deliveries_requeue_stale() == set()


def test_transient_gateway_errors_retry_with_backoff_then_send(gateway, consenting, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    gateway.fail_next(1)

    first = campaign_send(campaign_id=campaign.pk)

    assert first.retry == 5
    rows = list(Delivery.objects.filter(campaign=campaign))
    assert {d.state for d in rows} == {Delivery.State.QUEUED}
    assert all(d.not_before > timezone.now() for d in rows)  # backoff
    assert rows[0].error == "gateway HTTP 503"
    assert 0 < first.next_in <= RETRY_BASE_SECONDS

    Delivery.objects.filter(campaign=campaign).update(not_before=None)  # the backoff has passed
    assert campaign_send(campaign_id=campaign.pk).sent == 5
    assert {d.state for d in Delivery.objects.filter(campaign=campaign)} == {Delivery.State.SENT}


def test_a_message_failing_every_attempt_ends_failed_with_the_reason(
    gateway, consenting, sms_template, settings
):
    settings.CAMPAIGNS_MAX_ATTEMPTS = 2
    campaign = sending_campaign(template=sms_template, retailers=consenting[:1])
    for _ in range(2):
        gateway.fail_next(1)
        campaign_send(campaign_id=campaign.pk)
        Delivery.objects.filter(campaign=campaign).update(not_before=None)

    delivery = Delivery.objects.get(campaign=campaign)
    assert (delivery.state, delivery.reason, delivery.attempts) == ("failed", "attempts", 2)
    assert delivery.error == "gateway HTTP 503"
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.DONE


def test_a_number_the_gateway_rejects_is_failed_at_once(gateway, consenting, sms_template):
    gateway.reject_numbers(consenting[0].mobile)
    campaign = sending_campaign(template=sms_template, retailers=consenting)

    campaign_send(campaign_id=campaign.pk)

    rejected = Delivery.objects.get(campaign=campaign, retailer=consenting[0])
    assert (rejected.state, rejected.reason, rejected.error) == (
        "failed",
        "rejected",
        "number not in service",
    )
    assert Delivery.objects.filter(campaign=campaign, state=Delivery.State.SENT).count() == 4


def test_pause_stops_sending_and_resume_carries_on(gateway, consenting, sms_template, supervisor_a, settings):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    settings.CAMPAIGNS_BATCH_SIZE = 2
    deliveries_record(results=gateway_send(campaign, deliveries_claim(campaign=campaign, limit=2)))

    campaign_pause(actor=supervisor_a, campaign=campaign)
    assert campaign_send(campaign_id=campaign.pk).sent == 0
    assert deliveries_claim(campaign=campaign, limit=10).examined == 0
    assert gateway.stats()["unique_keys"] == 2

    campaign_resume(actor=supervisor_a, campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING
    assert campaign_send(campaign_id=campaign.pk).sent == 3
    assert gateway.stats()["unique_keys"] == 5


def test_cancel_in_the_middle_cancels_what_is_queued_and_keeps_what_was_sent(
    gateway, consenting, sms_template, supervisor_a
):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    in_flight = deliveries_claim(campaign=campaign, limit=2)

    campaign_cancel(actor=supervisor_a, campaign=campaign)
    deliveries_record(results=gateway_send(campaign, in_flight))  # the batch already claimed completes
    campaign_send(campaign_id=campaign.pk)

    counts = {}
    for state in states(campaign).values():
        counts[state] = counts.get(state, 0) + 1
    assert counts == {Delivery.State.SENT: 2, Delivery.State.CANCELLED: 3}
    assert gateway.stats()["unique_keys"] == 2
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.CANCELLED


def test_a_second_snapshot_of_the_same_campaign_writes_nothing(consenting, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=consenting)
    written, held = deliveries_snapshot(campaign=campaign, audience=Retailer.objects.all())
    assert (written, held) == (0, 0)
    assert Delivery.objects.filter(campaign=campaign).count() == 5


def test_the_snapshot_stays_inside_the_campaigns_unit(consenting, retailer_b, sms_template):
    campaign = sending_campaign(template=sms_template, retailers=[*consenting, consent(retailer_b)])
    assert retailer_b.pk not in states(campaign)
    assert len(states(campaign)) == 5


def test_email_goes_through_the_smtp_server_with_both_parts_and_list_unsubscribe(
    route_a, county_a, supervisor_a, smtp_server
):
    from tests.campaigns.factories import EmailTemplateFactory

    retailers = []
    for n in range(3):
        retailer = RetailerFactory(route=route_a, email=f"shop{n}@example.com")
        retailers.append(consent(retailer, "email"))
    no_email = consent(RetailerFactory(route=route_a))
    Retailer.objects.filter(pk=no_email.pk).update(email_consent=True)
    template = EmailTemplateFactory(org_unit=county_a, created_by=supervisor_a)
    campaign = sending_campaign(template=template, retailers=[*retailers, no_email], channel="email")

    result = campaign_send(campaign_id=campaign.pk)

    assert (result.sent, result.skipped) == (3, 1)
    assert Delivery.objects.get(campaign=campaign, retailer=no_email).reason == Delivery.Reason.NO_ADDRESS
    received = smtp_server.messages
    assert sorted(m["To"] for m in received) == [f"shop{n}@example.com" for n in range(3)]
    message = received[0]
    assert message["List-Unsubscribe"].startswith("<http")
    assert "/u/" in message["List-Unsubscribe"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].startswith("<delivery-")
    types = sorted(part.get_content_type() for part in message.walk() if not part.is_multipart())
    assert types == ["text/html", "text/plain"]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert "/u/" in html


def test_email_a_refused_recipient_fails_and_an_unreachable_server_retries(
    route_a, county_a, supervisor_a, smtp_server, settings
):
    from tests.campaigns.factories import EmailTemplateFactory

    refused = consent(RetailerFactory(route=route_a, email="nobody@refused.example"), "email")
    fine = consent(RetailerFactory(route=route_a, email="fine@example.com"), "email")
    template = EmailTemplateFactory(org_unit=county_a, created_by=supervisor_a)
    campaign = sending_campaign(template=template, retailers=[refused, fine], channel="email")

    campaign_send(campaign_id=campaign.pk)

    assert Delivery.objects.get(campaign=campaign, retailer=refused).reason == Delivery.Reason.REJECTED
    assert Delivery.objects.get(campaign=campaign, retailer=fine).state == Delivery.State.SENT

    later = sending_campaign(template=template, retailers=[fine], channel="email", purpose=Purpose.NOTICE)
    settings.EMAIL_PORT = 1  # nothing listens there
    campaign_send(campaign_id=later.pk)
    assert Delivery.objects.get(campaign=later).state == Delivery.State.QUEUED


def test_a_message_missing_a_provided_value_is_skipped_not_sent_with_a_hole(
    gateway, consenting, county_a, supervisor_a, settings
):
    """A survey invitation to a retailer who has answered since it was queued has no link to carry: skipped."""
    from campaigns import templating
    from tests.campaigns.factories import TemplateFactory

    with_link, answered = consenting[0], consenting[1]
    with templating.VARIABLE_PROVIDERS.overridden(
        "survey_url", lambda ids: {with_link.pk: "https://x.test/r/s/abc/"}
    ):
        template = TemplateFactory(
            org_unit=county_a,
            created_by=supervisor_a,
            body=f"{settings.CAMPAIGNS_SMS_SIGNATURE}{{{{ shop_name }}}}您好，请参加满意度调查：{{{{ survey_url }}}} "
            f"{settings.CAMPAIGNS_SMS_OPT_OUT_TEXT}",
        )
        campaign = sending_campaign(template=template, retailers=[with_link, answered])

        result = campaign_send(campaign_id=campaign.pk)

        states = {
            d.retailer_id: (d.state, d.reason, d.attempts) for d in Delivery.objects.filter(campaign=campaign)
        }
        assert states == {
            with_link.pk: (Delivery.State.SENT, "", 1),
            answered.pk: (Delivery.State.SKIPPED, Delivery.Reason.NO_VALUE, 0),
        }
        assert (result.sent, result.skipped) == (1, 1)
        assert set(gateway.per_number) == {with_link.mobile}
