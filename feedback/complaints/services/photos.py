"""Photos of a case: only JPEG, PNG or WebP by their first bytes, at most PHOTO_MAX_COUNT per case."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from feedback.complaints.models import Complaint, ComplaintEvent, ComplaintPhoto
from feedback.complaints.services.timeline import complaint_event_add
from users.models import User

Event = ComplaintEvent.Kind

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 6
# magic bytes → content type; anything else is refused whatever its name or declared type says
_PHOTO_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def photo_validate(photo) -> str:
    """The photo's content type from its first bytes, or ValidationError (not an image we take, or too big)."""
    if photo.size > PHOTO_MAX_BYTES:
        raise ValidationError(_("照片不能超过 5 MB。"), code="photo_size")
    head = photo.read(16)
    photo.seek(0)
    for signature, content_type in _PHOTO_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise ValidationError(_("只能上传 JPEG、PNG 或 WebP 格式的照片。"), code="photo_type")


def photos_save(complaint, photos, actor) -> list[ComplaintPhoto]:
    saved = []
    for photo in photos:
        content_type = photo_validate(photo)
        saved.append(
            ComplaintPhoto.objects.create(
                complaint=complaint,
                image=photo,
                content_type=content_type,
                size=photo.size,
                uploaded_by=actor,
            )
        )
    return saved


@transaction.atomic
def complaint_photo_add(*, complaint: Complaint, actor: User | None, photo) -> ComplaintPhoto:
    if complaint.photos.count() >= PHOTO_MAX_COUNT:
        raise ValidationError({"photos": _("最多上传 6 张照片。")})
    (saved,) = photos_save(complaint, [photo], actor)
    complaint_event_add(complaint, Event.PHOTO, actor=actor, text=saved.image.name.rsplit("/", 1)[-1])
    return saved
