"""Opening a case: validate, route by its category, compute its deadlines, write the first lines of its timeline
and tell whoever must act."""

import datetime

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.messages import system_message
from feedback import system_texts as texts
from feedback.complaints.models import Complaint, ComplaintCategory, ComplaintEvent
from feedback.complaints.notifications.models import Notification
from feedback.complaints.notifications.services import notify
from feedback.complaints.selectors import complaint_recent_duplicate, unit_supervisor
from feedback.complaints.services.deadlines import deadlines_compute, provisional_note
from feedback.complaints.services.photos import PHOTO_MAX_COUNT, photo_validate, photos_save
from feedback.complaints.services.routing import assign_message, complaint_route
from feedback.complaints.services.timeline import complaint_event_add
from users.models import User

Status = Complaint.Status
Event = ComplaintEvent.Kind


@transaction.atomic
def complaint_open(
    *,
    retailer,
    category_code: str,
    description: str,
    channel: str,
    actor: User | None = None,
    priority: str | None = None,
    product=None,
    order=None,
    photos=(),
    visit_ref: str = "",
    kind: str = Complaint.Kind.COMPLAINT,
    opened_at: datetime.datetime | None = None,
) -> Complaint:
    """Registers a complaint or request: routes it by its category, computes its deadlines in working hours and
    writes the first lines of its timeline. Bad input raises ValidationError and writes nothing.
    `opened_at` is for a case taken over from another system (a 12313 record): when it was really received; its
    deadlines count from then. It may not lie in the future."""
    from accounts.models import Retailer

    category = ComplaintCategory.objects.select_related("queue_unit").filter(
        code=category_code, is_active=True
    )
    category = category.first()
    if category is None:
        raise ValidationError({"category": _("没有这个投诉类别。")})
    if retailer.status == Retailer.Status.CLOSED or retailer.merged_into_id:
        raise ValidationError({"retailer": _("该零售户已注销或已合并，不能登记投诉。")})
    if order is not None and order.retailer_id != retailer.pk:
        raise ValidationError({"order": _("订单不属于该零售户。")})
    photos = list(photos)
    if len(photos) > PHOTO_MAX_COUNT:
        raise ValidationError({"photos": _("最多上传 6 张照片。")})
    for photo in photos:
        try:
            photo_validate(photo)
        except ValidationError as exc:
            raise ValidationError({"photos": exc.messages}) from None

    now = timezone.now()
    if opened_at is not None:
        if opened_at > now:
            raise ValidationError({"opened_at": _("受理时间不能晚于现在。")})
        now = opened_at
    customer_manager = retailer.route.manager if retailer.route_id else None
    assignee, queue_unit = complaint_route(
        category=category, retailer=retailer, customer_manager=customer_manager
    )
    response_due, resolution_due, uncovered = deadlines_compute(category, now)
    note = provisional_note(uncovered) if uncovered else None
    complaint = Complaint(
        retailer=retailer,
        category=category,
        kind=kind,
        channel=channel,
        priority=priority or category.default_priority,
        status=Status.ASSIGNED if assignee else Status.NEW,
        description=(description or "").strip(),
        product=product,
        order=order,
        customer_manager=customer_manager,
        assignee=assignee,
        queue_unit=queue_unit,
        opened_by=actor,
        visit_ref=visit_ref,
        opened_at=now,
        response_due=response_due,
        resolution_due=resolution_due,
        deadline_message=note,
        deadlines_provisional=bool(uncovered),
    )
    complaint.full_clean()
    complaint.save()
    received = system_message(texts.RECEIVED_BY, channel=str(channel))
    complaint_event_add(complaint, Event.OPENED, actor=actor, at=now, to_status=Status.NEW, message=received)
    if note:
        complaint_event_add(complaint, Event.NOTE, at=now, message=note, internal=True)
    photos_save(complaint, photos, actor)
    if assignee:
        complaint_event_add(
            complaint,
            Event.ASSIGNED,
            at=now,
            from_status=Status.NEW,
            to_status=Status.ASSIGNED,
            message=system_message(texts.ASSIGNED_BY_RULE, name=str(assignee)),
        )
        notify(
            recipients=[assignee],
            kind=Notification.Kind.ASSIGNED,
            complaint=complaint,
            message=assign_message(complaint),
        )
    else:
        dispatcher = unit_supervisor(org_unit=queue_unit)
        notify(
            recipients=[dispatcher],
            kind=Notification.Kind.ASSIGNED,
            complaint=complaint,
            message=system_message(
                texts.NEW_IN_QUEUE, unit=str(queue_unit), category=category.name, id=complaint.pk
            ),
        )
    return complaint


@transaction.atomic
def complaint_open_once(
    *, retailer, category_code: str, description: str, **kwargs
) -> tuple[Complaint, bool]:
    """`complaint_open`, unless the same retailer filed the same complaint a moment ago (a double tap, a resent
    form): then that one, and False. The check and the insert run under a lock per retailer, so two identical
    submissions arriving together file one complaint."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"complaint-intake:{retailer.pk}"])
    duplicate = complaint_recent_duplicate(
        retailer=retailer, category_code=category_code, description=description
    )
    if duplicate is not None:
        return duplicate, False
    complaint = complaint_open(
        retailer=retailer, category_code=category_code, description=description, **kwargs
    )
    return complaint, True
