"""Writes a retailer makes from its own hub (no login), and the hub's link sent to the shop's phone."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ConsentEvent, Retailer
from accounts.services import retailer_consent_set
from campaigns.channels import ACCEPTED, OutgoingMessage, sms_backend
from core.errors import ConflictError
from core.masking import mask_mobile
from feedback.portal.models import PortalLinkSend
from users.models import User

UNSUBSCRIBE_SOURCE = "retailer link"


@transaction.atomic
def retailer_unsubscribe(*, retailer: Retailer) -> list[str]:
    """Withdraw consent on every channel the retailer had granted, at once (MIIT: an opt-out takes effect
    immediately), through the accounts consent service so the withdrawal is on record with its source.
    Returns the channels withdrawn; none if it had already opted out everywhere."""
    locked = Retailer.objects.select_for_update().get(pk=retailer.pk)
    withdrawn = []
    for channel in ConsentEvent.Channel.values:
        if getattr(locked, f"{channel}_consent"):
            retailer_consent_set(
                actor=None, retailer=locked, channel=channel, granted=False, source=UNSUBSCRIBE_SOURCE
            )
            withdrawn.append(channel)
    return withdrawn


def channel_names(channels: list[str]) -> str:
    labels = dict(ConsentEvent.Channel.choices)
    return _("、").join(str(labels[c]) for c in channels)


# ---- the link, sent to the shop's phone at a staff member's request ----------------------------------------------
RESEND_AFTER = datetime.timedelta(minutes=5)


def portal_link_text(*, retailer: Retailer, url: str) -> str:
    return _(
        "%(signature)s%(shop)s您好，这是您的零售户服务页（答卷、投诉、查积分、退订），30天内有效：%(url)s %(opt_out)s"
    ) % {
        "signature": settings.CAMPAIGNS_SMS_SIGNATURE,
        "shop": retailer.shop_name,
        "url": url,
        "opt_out": settings.CAMPAIGNS_SMS_OPT_OUT_TEXT,
    }


def portal_link_send(*, actor: User, retailer: Retailer) -> PortalLinkSend:
    """Text the retailer's own-page link to the shop's phone on record, at `actor`'s request (the retailer asked
    for it: a service message, not marketing). Staff never see the link: it opens the retailer's complaints,
    some of which may be about them. The link carries `actor` as its issuer, and the pages it opens leave out the
    complaints about the issuer's own conduct (feedback.complaints.selectors.about_own_conduct_q), in case the
    number on record was the issuer's own. Once per shop every RESEND_AFTER; every send is logged."""
    from feedback.portal.links import portal_url

    if not retailer.mobile:
        raise ValidationError({"mobile": _("该零售户没有登记手机号，无法发送链接。")})
    now = timezone.now()
    if PortalLinkSend.objects.filter(
        retailer=retailer, accepted=True, sent_at__gt=now - RESEND_AFTER
    ).exists():
        raise ConflictError(_("刚刚已发送过服务页链接，请 5 分钟后再试。"))
    url = portal_url(retailer_id=retailer.pk, issuer_id=actor.pk)
    message = OutgoingMessage(
        key=f"portal-link-{retailer.pk}-{int(now.timestamp())}",
        to=retailer.mobile,
        text=portal_link_text(retailer=retailer, url=url),
    )
    (result,) = sms_backend().send([message])
    accepted = result.status == ACCEPTED
    error = "" if accepted else (result.error or result.status)[:200]
    return PortalLinkSend.objects.create(
        retailer=retailer,
        sent_by=actor,
        to_number=mask_mobile(retailer.mobile),
        accepted=accepted,
        error=error,
        sent_at=now,
    )
