"""The satisfaction follow-up of a resolved complaint and its rating.

On resolution a retailer who consented to SMS gets one text with a COMPLAINT_RATING link, sent through the
campaigns app's SMS channel backend (the same gateway, signature and opt-out text as every campaign message);
one who did not is shown on the case as "follow-up by phone". The send is claimed on the complaint row first
(`follow_up_at`), and the gateway gets the complaint's own idempotency key, so a retried task sends once.
A rating is taken once per complaint (a conditional UPDATE); a low one (≤ 2) flags the case for a supervisor's
call and tells that supervisor — it reopens nothing by itself.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from campaigns.channels import ACCEPTED, RETRY, OutgoingMessage, sms_backend
from core.errors import ConflictError
from core.links import retailer_link_make
from core.messages import system_message
from feedback import system_texts as texts
from feedback.complaints.models import Complaint, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.selectors import unit_supervisor
from feedback.portal.links import COMPLAINT_RATING

logger = logging.getLogger(__name__)


class FollowUpRetryError(Exception):
    """The gateway could not take the message now; the task retries."""


def complaint_rating_url(*, complaint: Complaint) -> str:
    token = retailer_link_make(retailer_id=complaint.retailer_id, purpose=COMPLAINT_RATING, ref=complaint.pk)
    path = reverse("feedback-public:complaint-rate", args=[token])
    return settings.CAMPAIGNS_PUBLIC_BASE_URL.rstrip("/") + path


def follow_up_text(*, complaint: Complaint, url: str) -> str:
    return _t("%(signature)s您反映的问题（编号%(id)s）已处理，请为本次服务评分：%(url)s %(opt_out)s") % {
        "signature": settings.CAMPAIGNS_SMS_SIGNATURE,
        "id": complaint.pk,
        "url": url,
        "opt_out": settings.CAMPAIGNS_SMS_OPT_OUT_TEXT,
    }


def complaint_follow_up_start(*, complaint: Complaint, at=None, send_sms: bool = True) -> str:
    """Chooses how the resolved case is followed up (once per case) and enqueues the SMS after commit."""
    from feedback.tasks import complaint_follow_up_sms_task

    retailer = complaint.retailer
    texting = send_sms and retailer.sms_consent and retailer.mobile
    mode = Complaint.FollowUp.SMS if texting else Complaint.FollowUp.PHONE
    chosen = Complaint.objects.filter(pk=complaint.pk, follow_up="").update(follow_up=mode)
    if not chosen:
        return Complaint.objects.values_list("follow_up", flat=True).get(pk=complaint.pk)
    complaint.follow_up = mode
    if mode == Complaint.FollowUp.SMS:
        transaction.on_commit(lambda: complaint_follow_up_sms_task.delay(complaint.pk))
    else:
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=ComplaintEvent.Kind.FOLLOW_UP,
            at=at or timezone.now(),
            message=system_message(
                texts.FOLLOW_UP_CALL_NO_CONSENT if send_sms else texts.FOLLOW_UP_CALL_BACKFILLED
            ),
            is_internal=True,
        )
    return mode


def complaint_follow_up_sms_send(*, complaint_id: int) -> bool:
    """Sends the follow-up SMS once. True when this call sent it. Consent is checked again at send time."""
    now = timezone.now()
    claimed = Complaint.objects.filter(
        pk=complaint_id, follow_up=Complaint.FollowUp.SMS, follow_up_at__isnull=True
    ).update(follow_up_at=now)
    if not claimed:
        return False
    complaint = Complaint.objects.select_related("retailer").get(pk=complaint_id)
    if not complaint.retailer.sms_consent:
        Complaint.objects.filter(pk=complaint_id).update(
            follow_up=Complaint.FollowUp.PHONE, follow_up_at=None
        )
        ComplaintEvent.objects.create(
            complaint=complaint,
            kind=ComplaintEvent.Kind.FOLLOW_UP,
            at=now,
            message=system_message(texts.FOLLOW_UP_CALL_OPTED_OUT),
            is_internal=True,
        )
        return False
    message = OutgoingMessage(
        key=f"complaint-follow-up-{complaint.pk}",
        to=complaint.retailer.mobile,
        text=follow_up_text(complaint=complaint, url=complaint_rating_url(complaint=complaint)),
    )
    (result,) = sms_backend().send([message])
    if result.status == RETRY:
        Complaint.objects.filter(pk=complaint_id).update(follow_up_at=None)  # release the claim for the retry
        raise FollowUpRetryError(result.error)
    message = (
        system_message(texts.FOLLOW_UP_SMS_SENT)
        if result.status == ACCEPTED
        else system_message(texts.FOLLOW_UP_SMS_REFUSED, error=str(result.error or ""))
    )
    if result.status != ACCEPTED:
        Complaint.objects.filter(pk=complaint_id).update(follow_up=Complaint.FollowUp.PHONE)
    ComplaintEvent.objects.create(
        complaint=complaint, kind=ComplaintEvent.Kind.FOLLOW_UP, at=now, message=message
    )
    return result.status == ACCEPTED


@transaction.atomic
def complaint_rate(*, complaint: Complaint, rating: int, comment: str = "") -> Complaint:
    """Stores the retailer's rating (1–5, comment optional) once; a second rating is refused (ConflictError)."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("请选择 1 到 5 分。")})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ValidationError({"comment": _("评价不能超过 500 字。")})
    now = timezone.now()
    low = rating <= Complaint.LOW_RATING_MAX
    updated = Complaint.objects.filter(
        pk=complaint.pk, rating__isnull=True, status__in=(Complaint.Status.RESOLVED, Complaint.Status.CLOSED)
    ).update(rating=rating, rating_comment=comment, rated_at=now, needs_supervisor_call=low)
    if not updated:
        if Complaint.objects.filter(pk=complaint.pk, rating__isnull=False).exists():
            raise ConflictError(_t("您已经评价过这次服务，感谢您的反馈。"))
        raise ConflictError(_t("该问题仍在处理中，处理完成后再请您评价。"))
    complaint.refresh_from_db()
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.RATED,
        at=now,
        text=comment,
        message=system_message(texts.RATED_WITH_COMMENT if comment else texts.RATED, rating=rating),
    )
    if low:
        from feedback.complaints.notifications.services import notify

        supervisor = unit_supervisor(org_unit=complaint.queue_unit)
        notify(
            recipients=[supervisor],
            kind=Notification.Kind.LOW_RATING,
            complaint=complaint,
            message=system_message(texts.LOW_RATING, id=complaint.pk, rating=rating),
        )
    return complaint


@transaction.atomic
def complaint_supervisor_call_record(*, complaint: Complaint, actor, note: str) -> Complaint:
    """A supervisor called the retailer about a low rating: clears the flag and notes what was said."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("请填写回访情况。")})
    updated = Complaint.objects.filter(pk=complaint.pk, needs_supervisor_call=True).update(
        needs_supervisor_call=False, version=models.F("version") + 1
    )
    if not updated:
        raise ConflictError(_t("该投诉不需要主管回访，或已有人回访过。"))
    ComplaintEvent.objects.create(
        complaint=complaint,
        kind=ComplaintEvent.Kind.NOTE,
        actor=actor,
        at=timezone.now(),
        text=note[:1900],
        message=system_message(texts.SUPERVISOR_CALLED),
        is_internal=True,
    )
    complaint.refresh_from_db()
    return complaint
