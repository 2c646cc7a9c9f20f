import datetime

import pytest
from django.core import signing
from django.test import RequestFactory
from django.utils import timezone

from core import links as public_links
from core.links import LinkRefusedError, retailer_link_make, retailer_link_read


@pytest.fixture(autouse=True)
def _purposes():
    for purpose, days in (("t-survey", 7), ("t-complaint", 30)):
        if (
            purpose not in public_links.LINK_PURPOSES
        ):  # declared once, as an app declares its purposes at start
            public_links.link_purpose_register(
                purpose=purpose, max_age=datetime.timedelta(days=days), by="tests"
            )


def test_round_trip_names_retailer_purpose_and_ref():
    token = retailer_link_make(retailer_id=42, purpose="t-survey", ref=7)
    link = retailer_link_read(token=token, purpose="t-survey")
    assert (link.retailer_id, link.purpose, link.ref) == (42, "t-survey", 7)


def test_tampered_token_refused():
    token = retailer_link_make(retailer_id=42, purpose="t-survey")
    body, _, sig = token.rpartition(":")
    forged = body + ":" + ("A" if sig[0] != "A" else "B") + sig[1:]
    with pytest.raises(LinkRefusedError) as exc:
        retailer_link_read(token=forged, purpose="t-survey")
    assert exc.value.reason == "tampered"
    # a payload signed with another salt (e.g. another app's link) does not verify either
    other = signing.dumps({"r": 42, "p": "t-survey", "x": None}, salt="elsewhere")
    with pytest.raises(LinkRefusedError):
        retailer_link_read(token=other, purpose="t-survey")


def test_other_purpose_refused():
    token = retailer_link_make(retailer_id=42, purpose="t-complaint")
    with pytest.raises(LinkRefusedError) as exc:
        retailer_link_read(token=token, purpose="t-survey")
    assert exc.value.reason == "tampered"  # another purpose's salt: the signature itself fails


def test_expired_token_refused(monkeypatch):
    token = retailer_link_make(retailer_id=42, purpose="t-survey")
    later = timezone.now() + datetime.timedelta(days=8)
    monkeypatch.setattr(signing.time, "time", lambda: later.timestamp())
    with pytest.raises(LinkRefusedError) as exc:
        retailer_link_read(token=token, purpose="t-survey")
    assert exc.value.reason == "expired"


def test_unregistered_purpose_cannot_be_made():
    with pytest.raises(ValueError):
        retailer_link_make(retailer_id=1, purpose="nope")


def test_rate_limit_per_token(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9")
    token = retailer_link_make(retailer_id=1, purpose="t-survey")
    results = [
        public_links.link_rate_limited(request=request, token=token)
        for _ in range(public_links.TOKEN_LIMIT + 1)
    ]
    assert results[:-1] == [False] * public_links.TOKEN_LIMIT
    assert results[-1] is True
    # another retailer's token from another address is not held back
    other = RequestFactory().get("/", REMOTE_ADDR="10.0.0.10")
    assert (
        public_links.link_rate_limited(
            request=other, token=retailer_link_make(retailer_id=2, purpose="t-survey")
        )
        is False
    )


def test_behind_a_proxy_the_client_address_comes_from_the_configured_header(settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    assert public_links.client_address(request) == "203.0.113.7"  # the entry our proxy appended
    assert public_links.client_address(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"
