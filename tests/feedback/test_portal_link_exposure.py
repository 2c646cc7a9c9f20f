"""A retailer's own link opens its complaints, some of which may be about the customer manager's own conduct, so
staff are never handed a live one: every page and API answer a staff member can open is crawled and no signed link
of any purpose appears in it. The link reaches the shop only by SMS to its phone on record (logged), and a link
sent at a staff member's request does not show the complaints about that member's conduct."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from campaigns.channels import ACCEPTED, SendResult
from core.links import (
    LinkRefusedError,
    link_purposes,
    retailer_link_make,
    retailer_link_read,
    short_code_read,
)
from feedback.portal.links import PORTAL, portal_path
from feedback.portal.models import PortalLinkSend
from tests.campaigns.factories import TemplateFactory
from tests.feedback.factories import open_complaint

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r"[A-Za-z0-9_\-.]{6,}:[A-Za-z0-9_\-]{4,}:[A-Za-z0-9_\-]{20,}")
SHORT_RE = re.compile(r"\b[0-9A-Za-z]{1,12}-[A-Za-z0-9_\-]{10}\b")
SENT = []


class CapturingBackend:
    def send(self, messages):
        SENT.extend(messages)
        return [SendResult(m.key, ACCEPTED, provider_id="t") for m in messages]


@pytest.fixture
def sms(settings):
    settings.CAMPAIGNS_SMS_BACKEND = f"{__name__}.CapturingBackend"
    SENT.clear()
    return SENT


def live_links(text: str) -> list[str]:
    """Every substring that opens as a retailer link of some purpose."""
    found = []
    for purpose in link_purposes():
        if purpose.short:
            found += [c for c in SHORT_RE.findall(text) if short_code_read(purpose=purpose.name, code=c)]
            continue
        for candidate in TOKEN_RE.findall(text):
            try:
                retailer_link_read(token=candidate, purpose=purpose.name)
            except LinkRefusedError:
                continue
            found.append(candidate)
    return found


def _staff_get_urls(retailer_pk: int):
    """A URL for every GET route outside the admin and the retailer's own link views, ids set to the retailer."""

    def walk(patterns, prefix):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if not text.startswith("admin/"):
                    yield from walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern) and not getattr(entry.callback, "link_purposes", None):
                if "format" in text:
                    continue
                url = text.replace("^", "").replace("$", "").replace("\\", "")
                url = re.sub(r"\(\?P<[a-z_]+>[^)]*\)", str(retailer_pk), url)
                url = re.sub(r"<int:[a-z_]+>", str(retailer_pk), url)
                url = re.sub(r"<(?:str:|slug:|path:)?[a-z_]+>", "x", url)
                yield "/" + url

    yield from walk(get_resolver().url_patterns, "")


@pytest.mark.parametrize("who", ["manager_a", "supervisor_a", "company_admin"])
def test_no_page_or_api_answer_hands_staff_a_live_retailer_link(
    who, request, client_for, api_client_for, retailer_a, county_a, supervisor_a
):
    user = request.getfixturevalue(who)
    client = client_for(user)
    leaks = {}
    for url in _staff_get_urls(retailer_a.pk):
        response = client.get(url)
        if response.streaming or response.status_code >= 300:
            continue
        if links := live_links(response.content.decode("utf-8", "replace")):
            leaks[url] = links
    # the message editor's preview renders the provided link variables for a real retailer
    body = "【烟草公司】{{ portal_url }} {{ survey_url }} {{ points_url }} 回T退订"
    preview = client.get(
        "/campaigns/templates/preview/", {"channel": "sms", "body": body, "retailer": retailer_a.pk}
    )
    may_preview = user.has_perm("campaigns.view_messagetemplate")
    assert preview.status_code == (200 if may_preview else 403)
    if links := live_links(preview.content.decode()):
        leaks["template preview"] = links
    template = TemplateFactory(org_unit=county_a, created_by=supervisor_a, body=body)
    api = api_client_for(user).post(
        f"/api/v1/templates/{template.pk}/preview/", {"retailer": retailer_a.pk}, format="json"
    )
    if links := live_links(api.content.decode()):
        leaks["template preview API"] = links
    assert leaks == {}


def test_the_crawl_would_see_a_live_link():
    token = retailer_link_make(retailer_id=1, purpose=PORTAL)
    assert live_links(f'<input value="https://x/r/{token}/">') == [token]


def test_the_link_goes_only_to_the_shops_phone_and_every_send_is_logged(
    client_for, manager_a, retailer_a, sms
):
    client = client_for(manager_a)
    response = client.post(f"/service/retailers/{retailer_a.pk}/service/send-link/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "138****1234" in page
    assert live_links(page) == []
    ((message,),) = [sms]
    assert message.to == retailer_a.mobile
    (token,) = live_links(message.text)
    link = retailer_link_read(token=token, purpose=PORTAL)
    assert (link.retailer_id, link.issuer_id) == (retailer_a.pk, manager_a.pk)
    logged = PortalLinkSend.objects.get()
    assert (logged.retailer, logged.sent_by, logged.to_number, logged.accepted) == (
        retailer_a,
        manager_a,
        "138****1234",
        True,
    )
    again = client.post(f"/service/retailers/{retailer_a.pk}/service/send-link/")
    assert again.status_code == 409
    assert len(sms) == 1


def test_another_territory_cannot_send(client_for, manager_b, retailer_a, sms):
    assert (
        client_for(manager_b).post(f"/service/retailers/{retailer_a.pk}/service/send-link/").status_code
        == 404
    )
    assert sms == []


def test_a_link_sent_at_a_managers_request_does_not_show_complaints_about_that_manager(
    client, manager_a, retailer_a, fresh_rate_limit
):
    conduct = open_complaint(retailer_a, "cm_conduct", description="客户经理态度恶劣")
    supply = open_complaint(retailer_a, "supply", description="紧俏烟不够")
    sent = portal_path(retailer_id=retailer_a.pk, issuer_id=manager_a.pk)
    own = portal_path(retailer_id=retailer_a.pk)

    listing = client.get(sent + "complaints/").content.decode()
    assert f"/complaints/{supply.pk}/" in listing
    assert f"/complaints/{conduct.pk}/" not in listing
    assert client.get(f"{sent}complaints/{conduct.pk}/").status_code == 404
    assert client.get(f"{sent}complaints/{supply.pk}/").status_code == 200
    # the retailer's own links (campaign messages, no issuer) show every complaint of the shop
    assert client.get(f"{own}complaints/{conduct.pk}/").status_code == 200
    assert f"/complaints/{conduct.pk}/" in client.get(own + "complaints/").content.decode()
