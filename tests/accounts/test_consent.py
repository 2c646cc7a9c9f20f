"""Consent to SMS and email: set only through retailer_consent_set, each change kept as a ConsentEvent."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import ConsentEvent, Retailer
from accounts.services import retailer_consent_set, retailer_update


def test_granting_sms_consent_sets_the_fields_and_records_an_event(retailer_a, manager_a):
    retailer = retailer_consent_set(
        actor=manager_a, retailer=retailer_a, channel="sms", granted=True, source="走访书面同意"
    )
    retailer.refresh_from_db()
    assert retailer.sms_consent is True
    assert retailer.sms_consent_source == "走访书面同意"
    assert retailer.sms_consent_at is not None
    event = ConsentEvent.objects.get()
    assert (event.retailer, event.channel, event.granted, event.source, event.recorded_by) == (
        retailer_a,
        "sms",
        True,
        "走访书面同意",
        manager_a,
    )
    assert event.created_at == retailer.sms_consent_at


def test_withdrawing_consent_clears_it_and_keeps_both_events(retailer_a, manager_a):
    retailer_consent_set(actor=manager_a, retailer=retailer_a, channel="sms", granted=True, source="走访")
    retailer_consent_set(actor=None, retailer=retailer_a, channel="sms", granted=False, source="退订短信 TD")
    retailer_a.refresh_from_db()
    assert retailer_a.sms_consent is False
    assert retailer_a.sms_consent_source == "退订短信 TD"
    assert list(ConsentEvent.objects.order_by("id").values_list("granted", flat=True)) == [True, False]


@pytest.mark.parametrize("source", ["", "   ", None])
def test_consent_without_a_source_is_rejected_and_changes_nothing(retailer_a, manager_a, source):
    with pytest.raises(ValidationError) as info:
        retailer_consent_set(actor=manager_a, retailer=retailer_a, channel="sms", granted=True, source=source)
    assert "source" in info.value.message_dict
    retailer_a.refresh_from_db()
    assert retailer_a.sms_consent is False
    assert not ConsentEvent.objects.exists()


def test_email_consent_without_an_email_address_is_rejected(retailer_a, manager_a):
    assert retailer_a.email == ""
    with pytest.raises(ValidationError) as info:
        retailer_consent_set(
            actor=manager_a, retailer=retailer_a, channel="email", granted=True, source="走访"
        )
    assert "channel" in info.value.message_dict
    retailer_a.refresh_from_db()
    assert retailer_a.email_consent is False
    assert not ConsentEvent.objects.exists()


def test_email_consent_with_an_email_address_is_recorded(retailer_a, manager_a):
    retailer = retailer_update(actor=None, retailer=retailer_a, data={"email": "shop@example.com"})
    retailer_consent_set(actor=manager_a, retailer=retailer, channel="email", granted=True, source="电话录音")
    retailer_a.refresh_from_db()
    assert retailer_a.email_consent is True
    assert ConsentEvent.objects.get().channel == "email"


def test_email_withdrawal_is_accepted_without_an_address(retailer_a):
    retailer_consent_set(actor=None, retailer=retailer_a, channel="email", granted=False, source="电话")
    assert ConsentEvent.objects.get().granted is False


def test_unknown_channel_is_rejected(retailer_a):
    with pytest.raises(ValidationError) as info:
        retailer_consent_set(actor=None, retailer=retailer_a, channel="wechat", granted=True, source="走访")
    assert "channel" in info.value.message_dict
    assert not ConsentEvent.objects.exists()


def test_consent_cannot_be_set_through_retailer_update(retailer_a):
    with pytest.raises(ValidationError):
        retailer_update(actor=None, retailer=retailer_a, data={"sms_consent": True})
    assert not Retailer.objects.get(pk=retailer_a.pk).sms_consent


def test_consent_page_records_the_change_with_the_user(retailer_a, manager_a, client_for):
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/consent/", {"channel": "sms", "granted": "1", "source": "走访书面同意"}
    )
    assert response.status_code == 302
    event = ConsentEvent.objects.get()
    assert (event.granted, event.recorded_by) == (True, manager_a)
    retailer_a.refresh_from_db()
    assert retailer_a.sms_consent is True


def test_consent_page_without_a_source_records_nothing(retailer_a, manager_a, client_for):
    response = client_for(manager_a).post(
        f"/retailers/{retailer_a.pk}/consent/", {"channel": "sms", "granted": "1", "source": ""}
    )
    assert response.status_code == 302
    assert not ConsentEvent.objects.exists()


def test_api_cannot_set_consent(retailer_a, manager_a, api_client_for):
    response = api_client_for(manager_a).patch(
        f"/api/v1/retailers/{retailer_a.pk}/", {"sms_consent": True}, format="json"
    )
    assert response.status_code == 400
    retailer_a.refresh_from_db()
    assert retailer_a.sms_consent is False
    assert not ConsentEvent.objects.exists()
