"""Outreach fixtures: a real fake SMS gateway over HTTP, retailers who consented, and a sending campaign."""

import email
import email.policy
import socket

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from accounts.services import retailer_consent_set
from campaigns.fake_gateway import FakeGateway
from campaigns.models import Campaign
from campaigns.ratelimit import send_bucket
from campaigns.services.snapshot import deliveries_snapshot
from tests.accounts.factories import RetailerFactory
from tests.campaigns.factories import CampaignFactory, TemplateFactory
from tests.imports.fixtures import default_bands  # noqa: F401 - a fixture (the sales price bands)

GATEWAY_SECRET = "gateway-secret-for-tests"


@pytest.fixture
def gateway(settings, db):
    """The fake HTTP gateway in a thread; the SMS backend points at it and the send rate is not in the way."""
    server = FakeGateway(secret=GATEWAY_SECRET).start()
    settings.CAMPAIGNS_SMS_BACKEND = "http"
    settings.CAMPAIGNS_SMS_GATEWAY = {
        "URL": server.url,
        "ACCOUNT": "crm",
        "SECRET": GATEWAY_SECRET,
        "BATCH_SIZE": 100,
        "TIMEOUT": 5.0,
    }
    settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND = 100_000
    send_bucket().reset()
    yield server
    server.stop()


@pytest.fixture
def through_the_broker(monkeypatch):
    """Tasks go to the real broker for a worker process, whatever an earlier test left in Celery's config."""
    from crm.celery_app import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    return app


def consent(retailer, channel="sms"):
    return retailer_consent_set(
        actor=None, retailer=retailer, channel=channel, granted=True, source="走访书面同意"
    )


@pytest.fixture
def consenting(route_a):
    """Five retailers on route_a who agreed to SMS."""
    return [consent(RetailerFactory(route=route_a)) for _ in range(5)]


@pytest.fixture
def sms_template(county_a, supervisor_a):
    return TemplateFactory(org_unit=county_a, created_by=supervisor_a)


def sending_campaign(*, template, retailers, **fields):
    """A campaign already approved and started on `retailers` (the snapshot done as at launch)."""
    from accounts.models import Retailer

    campaign = CampaignFactory(
        template=template,
        org_unit=template.org_unit,
        created_by=template.created_by,
        state=Campaign.State.SENDING,
        launched_at=timezone.now(),
        **fields,
    )
    written, held = deliveries_snapshot(
        campaign=campaign, audience=Retailer.objects.filter(pk__in=[r.pk for r in retailers])
    )
    campaign.recipient_count, campaign.holdout_count = written, held
    campaign.save(update_fields=["recipient_count", "holdout_count"])
    return campaign


class _MailHandler:
    """A real SMTP server's handler: keeps what it receives, refuses one domain at RCPT time."""

    def __init__(self):
        self.messages = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings, db):
    """A real local SMTP server (aiosmtpd) and Django's SMTP backend pointed at it."""
    handler = _MailHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.CAMPAIGNS_RATE_LIMIT_PER_SECOND = 100_000
    send_bucket().reset()
    handler.port = controller.port
    yield handler
    controller.stop()
