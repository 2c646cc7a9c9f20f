"""Writes of the offline field app: keep a queued visit the server could not record (the shop moved to another
manager while the phone was offline). Idempotent by the phone's key, like visits.services.visit_record."""

import uuid

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from accounts.models import Retailer
from fieldapp.models import HeldVisit, HeldVisitPhoto
from users.models import User

MAX_PHOTOS = 6


def held_visit_keep(
    *,
    actor: User,
    retailer: Retailer,
    idempotency_key: uuid.UUID,
    payload: dict,
    reason: str,
    photos: list[UploadedFile] = (),
) -> tuple[HeldVisit, bool]:
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
                reason=reason,
            )
            for photo in list(photos)[:MAX_PHOTOS]:
                HeldVisitPhoto.objects.create(
                    held=held, image=photo, content_type=(photo.content_type or "")[:50]
                )
    except IntegrityError:  # the same key from a concurrent retry
        return HeldVisit.objects.get(idempotency_key=idempotency_key), False
    return held, True
