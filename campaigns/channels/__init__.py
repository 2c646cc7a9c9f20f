"""Channel backends: what turns rendered messages into SMS or email. One call sends one batch.

Every backend takes a list of OutgoingMessage and answers one SendResult per message, keyed by the message's
idempotency key (the Delivery id): "accepted" (with the provider's message id), "rejected" (final: a bad
number, a refused address) or "retry" (transient: nothing is known to have been sent, or the batch may be sent
again safely because the gateway deduplicates on the key)."""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

ACCEPTED = "accepted"
REJECTED = "rejected"
RETRY = "retry"

SMS_BACKENDS = {
    "http": "campaigns.channels.sms.HttpGatewayBackend",
    "console": "campaigns.channels.sms.ConsoleBackend",
    "file": "campaigns.channels.sms.FileBackend",
}


@dataclass
class OutgoingMessage:
    key: str
    to: str
    text: str
    subject: str = ""
    html: str = ""
    headers: dict = field(default_factory=dict)


@dataclass
class SendResult:
    key: str
    status: str
    provider_id: str = ""
    error: str = ""


def sms_backend():
    """The configured SMS backend (settings.CAMPAIGNS_SMS_BACKEND: http, console or file, or a dotted path)."""
    name = settings.CAMPAIGNS_SMS_BACKEND
    path = SMS_BACKENDS.get(name, name)
    try:
        backend_class = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"SMS_BACKEND {name!r}: {exc}") from exc
    return backend_class()


def backend_for(channel: str):
    if channel == "sms":
        return sms_backend()
    from campaigns.channels.email import EmailBackend

    return EmailBackend()
