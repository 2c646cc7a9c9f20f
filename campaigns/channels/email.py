"""Email through Django's email backend (SMTP in production): an HTML and a text part, a List-Unsubscribe header
(with RFC 8058 one-click) and a Message-ID made from the delivery id, so a resend after a crash carries the same
id and mail clients can fold the duplicate (SMTP itself cannot deduplicate)."""

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from campaigns.channels import ACCEPTED, REJECTED, RETRY, OutgoingMessage, SendResult

PERMANENT_SMTP_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def message_id(key: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<delivery-{key}@{domain}>"


class EmailBackend:
    def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
        results = []
        try:
            connection = get_connection(fail_silently=False)
            connection.open()
        except (OSError, smtplib.SMTPException) as exc:
            return [SendResult(m.key, RETRY, error=f"mail server unreachable: {exc}"[:255]) for m in messages]
        try:
            for index, message in enumerate(messages):
                email = EmailMultiAlternatives(
                    subject=message.subject,
                    body=message.text,
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    to=[message.to],
                    headers={"Message-ID": message_id(message.key), **message.headers},
                    connection=connection,
                )
                if message.html:
                    email.attach_alternative(message.html, "text/html")
                try:
                    email.send()
                except PERMANENT_SMTP_ERRORS as exc:
                    results.append(SendResult(message.key, REJECTED, error=str(exc)[:255]))
                except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                    # the connection is gone: this one and the rest go back to the queue
                    results.extend(
                        SendResult(m.key, RETRY, error=f"mail server: {exc}"[:255]) for m in messages[index:]
                    )
                    break
                else:
                    results.append(SendResult(message.key, ACCEPTED, provider_id=message_id(message.key)))
        finally:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                connection.close()
        return results
