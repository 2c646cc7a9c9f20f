"""Visit records: one submission from the phone becomes one Visit, however often the phone retries it."""

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Retailer
from core.errors import ConflictError
from feedback.complaints.services.intake import complaint_open
from users.models import User
from visits.cultivation.selectors import programmes_running_for
from visits.exif import photo_facts
from visits.geo import haversine_m
from visits.models import Visit, VisitPhoto, VisitStockCheck
from visits.scoring import store_score
from visits.selectors import policy_get, store_score_weights
from visits.trust.services import assess, flag_others, photo_stamp

MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 1024 * 1024
# the first bytes of the image formats a phone camera produces
PHOTO_SIGNATURES = {
    b"\xff\xd8\xff": ".jpg",
    b"\x89PNG\r\n\x1a\n": ".png",
}
# a check-in time the phone reports may be older (a form sent when the signal came back) but not by more than this
MAX_CHECKIN_AGE = datetime.timedelta(hours=24)
CLOCK_SKEW = datetime.timedelta(minutes=5)

COMPLAINT_CHANNEL = "visit"
CHECKLIST_FIELDS = ("licence_displayed", "minors_sign", "price_tags", "display_ok")


@dataclass
class VisitInput:
    """What the phone sends. `stock` maps a running cultivation programme id to "on the shelf or not"."""

    latitude: Decimal | None = None
    longitude: Decimal | None = None
    accuracy_m: int | None = None
    no_location_reason: str = ""
    checked_in_at: datetime.datetime | None = None
    # the phone's clock when it sent the form (compared with the server's)
    device_time: datetime.datetime | None = None
    licence_displayed: bool | None = None
    minors_sign: bool | None = None
    price_tags: bool | None = None
    display_ok: bool | None = None
    image_rating: int | None = None
    notes: str = ""
    next_action: str = ""
    follow_up_on: datetime.date | None = None
    stock: dict[int, bool] = field(default_factory=dict)
    # the retailer's request, turned into a complaint (channel "visit") with the visit
    request_kind: str = "complaint"
    request_category: str = ""
    request_text: str = ""


def _photo_ext(photo: UploadedFile) -> str:
    if photo.size > MAX_PHOTO_BYTES:
        raise ValidationError(
            _("照片“%(name)s”超过 %(mb)s MB。") % {"name": photo.name, "mb": MAX_PHOTO_BYTES // (1024 * 1024)}
        )
    head = photo.read(16)
    photo.seek(0)
    if head[8:12] == b"WEBP" and head[:4] == b"RIFF":
        return ".webp"
    for signature, ext in PHOTO_SIGNATURES.items():
        if head.startswith(signature):
            return ext
    raise ValidationError(_("“%(name)s”不是 JPEG、PNG 或 WebP 图片。") % {"name": photo.name})


def _location(*, retailer: Retailer, data: VisitInput, radius_m: int) -> tuple[int | None, str]:
    if data.latitude is None or data.longitude is None:
        if data.latitude is not None or data.longitude is not None:
            raise ValidationError(_("纬度和经度须同时提供。"))
        if not data.no_location_reason.strip():
            raise ValidationError({"no_location_reason": _("未获取到位置时，请说明原因。")})
        return None, Visit.LocationFlag.NO_LOCATION
    if retailer.latitude is None or retailer.longitude is None:
        return None, Visit.LocationFlag.SHOP_UNLOCATED
    distance = round(haversine_m(data.latitude, data.longitude, retailer.latitude, retailer.longitude))
    return distance, (Visit.LocationFlag.TOO_FAR if distance > radius_m else Visit.LocationFlag.OK)


def _checked_in_at(value: datetime.datetime | None, now: datetime.datetime) -> datetime.datetime:
    if value is None:
        return now
    if timezone.is_naive(value):
        raise ValidationError({"checked_in_at": _("签到时间须带时区。")})
    if value > now + CLOCK_SKEW or value < now - MAX_CHECKIN_AGE:
        raise ValidationError({"checked_in_at": _("签到时间须在过去 24 小时内。")})
    return value


def visit_record(
    *,
    actor: User,
    retailer: Retailer,
    idempotency_key: uuid.UUID,
    data: VisitInput,
    photos: list[UploadedFile] = (),
    received_at: datetime.datetime | None = None,
) -> tuple[Visit, bool]:
    """Record a visit. The phone's idempotency key is claimed by a unique column: a retried submission returns the
    first visit (created False) and changes nothing; the same key for another shop or person is a conflict.
    `retailer` must come from the actor's scope (the caller uses accounts.selectors.retailer_get).
    `received_at`: when the server first received the submission, if that was earlier than now (a held visit a
    supervisor records later): the 24-hour window of the check-in and the phone-clock check are measured from it."""
    existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, actor=actor, retailer=retailer), False

    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError(_("每次走访最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS})
    extensions = [_photo_ext(photo) for photo in photos]
    policy = policy_get()
    distance, flag = _location(retailer=retailer, data=data, radius_m=policy.checkin_radius_m)
    now = timezone.now()
    received = received_at or now
    checked_in_at = _checked_in_at(data.checked_in_at, received)

    running = {p.pk for p in programmes_running_for(retailer=retailer, day=timezone.localdate(checked_in_at))}
    unknown = set(data.stock) - running
    if unknown:
        raise ValidationError(_("库存检查只能针对本店正在进行的培育项目。"))

    if data.device_time is not None and timezone.is_naive(data.device_time):
        raise ValidationError({"device_time": _("手机时间须带时区。")})
    checklist = {name: getattr(data, name) for name in CHECKLIST_FIELDS}
    photo_bytes = []
    for photo in photos:
        photo_bytes.append(photo.read())
        photo.seek(0)
    facts = [photo_facts(raw) for raw in photo_bytes]

    visit = Visit(
        idempotency_key=idempotency_key,
        retailer=retailer,
        manager=actor,
        route_id=retailer.route_id,
        visited_on=timezone.localdate(checked_in_at),
        checked_in_at=checked_in_at,
        latitude=data.latitude,
        longitude=data.longitude,
        accuracy_m=data.accuracy_m,
        distance_m=distance,
        location_flag=flag,
        no_location_reason=data.no_location_reason.strip() if flag == Visit.LocationFlag.NO_LOCATION else "",
        image_rating=data.image_rating,
        notes=data.notes.strip(),
        next_action=data.next_action.strip(),
        follow_up_on=data.follow_up_on,
        created_at=now,
        device_time=data.device_time,
        store_score=store_score({**checklist, "image_rating": data.image_rating}, store_score_weights()),
        **checklist,
    )
    visit.full_clean(exclude=["idempotency_key"])
    try:
        with transaction.atomic():
            others = assess(visit=visit, photos=facts, policy=policy, now=received)
            visit.save()
            flag_others(others)
            VisitStockCheck.objects.bulk_create(
                VisitStockCheck(visit=visit, programme_id=pid, in_stock=bool(flag_))
                for pid, flag_ in sorted(data.stock.items())
            )
            for photo, ext, raw, fact in zip(photos, extensions, photo_bytes, facts, strict=True):
                row = VisitPhoto(
                    visit=visit,
                    ext=ext,
                    size_bytes=photo.size,
                    content_hash=fact.fingerprint,
                    phash=fact.phash,
                    taken_at=timezone.make_aware(fact.taken_at) if fact.taken_at else None,
                    exif_latitude=fact.latitude,
                    exif_longitude=fact.longitude,
                )
                row.image.save(photo.name, photo, save=False)
                photo_stamp(photo=row, photo_bytes=raw, facts=fact)
                row.save()
            if data.request_text.strip():
                complaint = complaint_open(
                    retailer=retailer,
                    category_code=data.request_category,
                    description=data.request_text.strip(),
                    channel=COMPLAINT_CHANNEL,
                    actor=actor,
                    visit_ref=f"V{visit.pk}",
                    kind=data.request_kind,
                )
                visit.complaint_ref = str(complaint.pk)
                visit.save(update_fields=["complaint_ref"])
    except IntegrityError:
        # a concurrent retry of the same submission won the key between our check and our insert
        existing = Visit.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, actor=actor, retailer=retailer), False
    return visit, True


def _replayed(existing: Visit, *, actor: User, retailer: Retailer) -> Visit:
    if existing.retailer_id != retailer.pk or existing.manager_id != actor.pk:
        raise ConflictError(_("该提交编号已用于另一条走访记录。"))
    return existing
