"""SMS backends: a generic HTTP/JSON gateway client (production), and console and file backends (development).

The HTTP gateway contract (what campaigns.fake_gateway implements, and what an adapter in front of a real
provider must offer):

    POST {URL}            Content-Type: application/json
    X-Account: {ACCOUNT}  X-Timestamp: unix seconds  X-Signature: hex HMAC-SHA256(SECRET, "{timestamp}.{body}")
    {"messages": [{"id": "<idempotency key>", "to": "13800001234", "text": "【签名】…回T退订"}, …]}

    200 {"results": [{"id": "…", "status": "accepted" | "duplicate" | "rejected",
                      "message_id": "…", "error": "…"}, …]}

The gateway must deduplicate on "id": a message sent again with a key it has seen is answered "duplicate" with
the first message id and is not delivered again. That is what makes a resend after a worker crash safe.
429, 5xx, timeouts and broken connections mean "try the batch again later"; any other status is a final
refusal of the whole batch.
"""

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.parse
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from campaigns.channels import ACCEPTED, REJECTED, RETRY, OutgoingMessage, SendResult
from core.masking import mask_mobile

logger = logging.getLogger(__name__)
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class HttpGatewayBackend:
    """The generic JSON gateway client. One keep-alive connection per worker thread; one POST per batch."""

    _local = threading.local()

    def __init__(self):
        config = settings.CAMPAIGNS_SMS_GATEWAY
        if not config.get("URL"):
            raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_GATEWAY_URL")
        self.url = urllib.parse.urlsplit(config["URL"])
        self.account = config.get("ACCOUNT", "")
        self.secret = config.get("SECRET", "")
        self.batch_size = int(config.get("BATCH_SIZE", 100))
        self.timeout = float(config.get("TIMEOUT", 10.0))

    def _connection(self) -> http.client.HTTPConnection:
        key = (self.url.scheme, self.url.netloc)
        connections = getattr(self._local, "connections", None)
        if connections is None:
            connections = self._local.connections = {}
        connection = connections.get(key)
        if connection is None:
            factory = (
                http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
            )
            connection = connections[key] = factory(self.url.netloc, timeout=self.timeout)
        return connection

    def _drop_connection(self) -> None:
        connections = getattr(self._local, "connections", {})
        connection = connections.pop((self.url.scheme, self.url.netloc), None)
        if connection is not None:
            connection.close()

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results = []
        for start in range(0, len(messages), self.batch_size):
            results.extend(self._send_chunk(messages[start : start + self.batch_size]))
        return results

    def _send_chunk(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        body = json.dumps(
            {"messages": [{"id": m.key, "to": m.to, "text": m.text} for m in messages]}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Account": self.account,
            "X-Timestamp": timestamp,
            "X-Signature": sign(self.secret, timestamp, body),
        }
        path = self.url.path or "/"
        try:
            connection = self._connection()
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self._drop_connection()
            return [SendResult(m.key, RETRY, error=f"gateway unreachable: {exc}"[:255]) for m in messages]
        if response.status in TRANSIENT_STATUSES:
            return [SendResult(m.key, RETRY, error=f"gateway HTTP {response.status}") for m in messages]
        if response.status != 200:
            error = f"gateway HTTP {response.status}: {payload[:200].decode(errors='replace')}"
            return [SendResult(m.key, REJECTED, error=error[:255]) for m in messages]
        try:
            answers = {str(r["id"]): r for r in json.loads(payload)["results"]}
        except (ValueError, KeyError, TypeError):
            return [SendResult(m.key, RETRY, error="gateway answered malformed JSON") for m in messages]
        results = []
        for message in messages:
            answer = answers.get(message.key)
            if answer is None:
                results.append(
                    SendResult(message.key, RETRY, error="gateway did not answer for this message")
                )
            elif answer.get("status") in ("accepted", "duplicate"):
                results.append(
                    SendResult(message.key, ACCEPTED, provider_id=str(answer.get("message_id", "")))
                )
            else:
                results.append(
                    SendResult(message.key, REJECTED, error=str(answer.get("error") or "rejected")[:255])
                )
        return results


class ConsoleBackend:
    """Development: log each message instead of sending it. Logs are kept and shipped where the retailers' data
    is not, so the number is masked as on a customer manager's page (138****1234)."""

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        for message in messages:
            logger.info("SMS to %s [%s]: %s", mask_mobile(message.to), message.key, message.text)
        return [SendResult(m.key, ACCEPTED, provider_id=f"console-{m.key}") for m in messages]


class FileBackend:
    """Development: append each message as a JSON line to SMS_FILE_DIR/sms-YYYYMMDD.jsonl."""

    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        folder = Path(settings.CAMPAIGNS_SMS_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.localtime()
        path = folder / f"sms-{now:%Y%m%d}.jsonl"
        lines = "".join(
            json.dumps({"id": m.key, "to": m.to, "text": m.text, "at": now.isoformat()}, ensure_ascii=False)
            + "\n"
            for m in messages
        )
        with path.open("a", encoding="utf-8") as handle:
            handle.write(lines)
        return [SendResult(m.key, ACCEPTED, provider_id=f"file-{m.key}") for m in messages]
