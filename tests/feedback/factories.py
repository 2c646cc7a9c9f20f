"""Helpers that build complaints through the service (so every row passed the same rules as a form)."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.models import Complaint
from feedback.services import complaint_open

# the smallest valid PNG (1×1, transparent)
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def png(name="photo.png", size=None) -> SimpleUploadedFile:
    data = PNG_BYTES if size is None else PNG_BYTES + b"\0" * (size - len(PNG_BYTES))
    return SimpleUploadedFile(name, data, content_type="image/png")


def not_an_image(name="photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, io.BytesIO(b"MZ\x90\x00 an executable").read(), content_type="image/jpeg")


def open_complaint(retailer, category_code="supply", **kwargs) -> Complaint:
    kwargs.setdefault("description", "本周紧俏品规一条都没订到。")
    kwargs.setdefault("channel", Complaint.Channel.PHONE)
    return complaint_open(retailer=retailer, category_code=category_code, **kwargs)
