"""Factories for complaints, surveys and notifications, and the photos a complaint carries. Complaints and surveys
are created through their services (so every row passed the same rules as a form); notifications, which only
services write in the product, are written straight as the tests need them."""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.complaints.models import Complaint
from feedback.complaints.notifications.models import Notification
from feedback.complaints.services.intake import complaint_open
from feedback.surveys.models import Survey
from feedback.surveys.services.surveys import survey_create
from tests.accounts.factories import RetailerFactory

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


class ComplaintFactory(factory.Factory):
    """A complaint opened through complaint_open; any of its other arguments (actor, order, photos, kind…) pass
    through. The category must exist (the `seeded_categories` fixture)."""

    class Meta:
        model = Complaint

    retailer = factory.SubFactory(RetailerFactory)
    category_code = "supply"
    description = "本周紧俏品规一条都没订到。"
    channel = Complaint.Channel.PHONE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return complaint_open(**kwargs)


def open_complaint(retailer, category_code="supply", **kwargs) -> Complaint:
    """ComplaintFactory with the retailer and category first: how most tests read."""
    return ComplaintFactory(retailer=retailer, category_code=category_code, **kwargs)


class SurveyFactory(factory.Factory):
    """A survey created through survey_create by `actor` (who may run surveys) on `segment` with `questionnaire`:
    the fourth quarter of 2026, ten shops a stratum, a fixed seed."""

    class Meta:
        model = Survey

    name = "2026年四季度零售客户满意度调查"
    period = "2026Q4"
    org_unit = factory.LazyAttribute(lambda o: o.segment.org_unit)
    allocation = "fixed"
    per_stratum = 10
    seed = "q4-2026"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return survey_create(**kwargs)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    kind = Notification.Kind.ASSIGNED
    text = factory.Sequence(lambda n: f"投诉 #{n} 待派单")
