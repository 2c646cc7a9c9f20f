"""The cockpit's in-app notices and their emails (once each, after commit)."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cockpit.models import Notice
from users.models import User


def notices_create(*, recipients: Iterable[User], kind: str, params: dict, url: str = "") -> list[Notice]:
    """One notice per recipient (in-app), and after commit one email each to those with an address."""
    rows = Notice.objects.bulk_create(
        [
            Notice(recipient=user, kind=kind, params=params, url=url)
            for user in {u.pk: u for u in recipients if u is not None}.values()
        ]
    )
    ids = [row.pk for row in rows if row.recipient.email]
    if ids:
        from cockpit.tasks import notice_emails_task

        transaction.on_commit(lambda: notice_emails_task.delay(ids))
    return rows


def notice_email_send(*, notice_id: int) -> bool:
    """Emails one notice at most once: the `emailed_at` claim is taken before sending and given back when the mail
    server refuses (the error propagates, so the task retries)."""
    from cockpit.notices import digest_lines, notice_title

    claimed = Notice.objects.filter(pk=notice_id, emailed_at__isnull=True).update(emailed_at=timezone.now())
    if not claimed:
        return False
    notice = Notice.objects.select_related("recipient").get(pk=notice_id)
    if not notice.recipient.email:
        return False
    title = notice_title(notice)
    body = [title, ""]
    if notice.kind == Notice.Kind.DIGEST:
        body += digest_lines(notice)
    if notice.url:
        body += ["", settings.CAMPAIGNS_PUBLIC_BASE_URL.rstrip("/") + notice.url]
    try:
        send_mail(
            subject=_("【经营驾驶舱】%(title)s") % {"title": title[:80]},
            message="\n".join(body),
            from_email=None,
            recipient_list=[notice.recipient.email],
        )
    except Exception:
        Notice.objects.filter(pk=notice_id).update(emailed_at=None)
        raise
    return True


def notice_emails_send(*, notice_ids: Iterable[int]) -> int:
    """Email each of these notices once (notice_email_send); a refusal propagates after giving its claim back, so a
    retry of the whole batch sends only what is left. Returns how many were emailed."""
    return sum(1 for notice_id in notice_ids if notice_email_send(notice_id=notice_id))


def notices_mark_read(*, user: User, notice_ids: Iterable[int] | None = None) -> int:
    qs = Notice.objects.filter(recipient=user, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids))
    return qs.update(read_at=timezone.now())
