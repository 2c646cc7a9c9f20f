"""Writes of the offline field app: keep a queued visit the server could not record (the shop moved to another
manager while the phone was offline), idempotent by the phone's key like visits.records.services.visit_record; and the
supervisor's decision on it: record it as the visit it was, or leave it out with a reason."""

import uuid
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from core.errors import ConflictError
from fieldapp.models import HeldVisit, HeldVisitPhoto
from users.models import User
from visits.cultivation.selectors import programmes_running_for
from visits.forms import VisitForm
from visits.records.services import visit_record

DECIDE_PERMISSION = "visits.review_visit"

MAX_PHOTOS = 6


def held_visit_keep(
    *,
    actor: User,
    retailer: Retailer,
    idempotency_key: uuid.UUID,
    payload: dict,
    message: dict,
    photos: list[UploadedFile] = (),
) -> tuple[HeldVisit, bool]:
    """Keep a visit the phone could not have recorded, with why (`message`, core.messages: worded for each reader
    of the held list)."""
    existing = HeldVisit.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            held = HeldVisit.objects.create(
                idempotency_key=idempotency_key,
                manager=actor,
                retailer=retailer,
                payload=payload,
                message=message,
            )
            for photo in list(photos)[:MAX_PHOTOS]:
                HeldVisitPhoto.objects.create(
                    held=held, image=photo, content_type=(photo.content_type or "")[:50]
                )
    except IntegrityError:  # the same key from a concurrent retry
        return HeldVisit.objects.get(idempotency_key=idempotency_key), False
    return held, True


def held_visit_may_decide(*, user: User) -> bool:
    return user.is_authenticated and user.has_perm(DECIDE_PERMISSION)


@transaction.atomic
def held_visit_decide(*, actor: User, held: HeldVisit, record: bool, note: str = "") -> HeldVisit:
    """Record the held visit as the visit its manager made (their check-in, notes and photos, the trust assessment
    as of when the phone sent it), or leave it out (a reason is required). `held` comes from
    fieldapp.selectors.held_visits for the actor. Once decided it stays decided: a second decision is a
    conflict."""
    if not held_visit_may_decide(user=actor):
        raise PermissionDenied(_("只有主管可以处理待处理的走访。"))
    held = HeldVisit.objects.select_for_update().get(pk=held.pk)
    if held.status != HeldVisit.Status.OPEN:
        raise ConflictError(_("这条走访已经处理过了（%(status)s）。") % {"status": held.get_status_display()})
    note = (note or "").strip()
    if not record and not note:
        raise ValidationError({"note": _("不入账时请写明原因。")})
    if record:
        day = timezone.localdate(held.created_at)
        form = VisitForm(
            held.payload, programmes=list(programmes_running_for(retailer=held.retailer, day=day))
        )
        if not form.is_valid():
            raise ValidationError(
                _("这条走访的内容不完整，无法入账：%(errors)s")
                % {"errors": "；".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())}
            )
        photos = [
            SimpleUploadedFile(
                Path(p.image.name).name, p.image.open("rb").read(), content_type=p.content_type
            )
            for p in held.photos.order_by("pk")
        ]
        visit, _created = visit_record(
            actor=held.manager,
            retailer=held.retailer,
            idempotency_key=held.idempotency_key,
            data=form.visit_input(),
            photos=photos,
            received_at=held.created_at,
        )
        held.visit = visit
    held.status = HeldVisit.Status.RECORDED if record else HeldVisit.Status.DISMISSED
    held.decided_by = actor
    held.decided_at = timezone.now()
    held.decision_note = note
    held.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "visit"])
    return held
