"""The same photo re-encoded or resized for another visit is recognised by its pixels (a perceptual hash), not only
byte for byte: both visits become doubtful with the reason; a different picture is not taken for a copy."""

import io
import random

import pytest
from PIL import Image, ImageDraw

from tests.visits.test_proof_of_visit import all_day, codes, photo, shop  # noqa: F401 - fixtures and helpers
from visits.exif import perceptual_hash
from visits.models import VisitPhoto
from visits.trust.services import PHASH_NEAR_BITS

pytestmark = pytest.mark.django_db


def picture(seed: int, size=(640, 480)) -> Image.Image:
    """A shop-front-like picture: blocks and lines placed by the seed."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(25):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, 260), rng.randrange(40, 200)
        draw.rectangle(
            (x, y, x + w, y + h), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256))
        )
    return image


def encoded(image: Image.Image, *, quality=92, scale=1.0) -> bytes:
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def distance(a: int, b: int) -> int:
    return bin((a ^ b) & (2**64 - 1)).count("1")


def test_a_recompressed_resized_copy_is_near_and_another_picture_is_far():
    original = encoded(picture(1))
    copy = encoded(picture(1), quality=55, scale=0.7)
    assert original != copy
    assert distance(perceptual_hash(original), perceptual_hash(copy)) <= PHASH_NEAR_BITS
    others = [perceptual_hash(encoded(picture(seed))) for seed in range(2, 12)]
    assert min(distance(perceptual_hash(original), other) for other in others) > PHASH_NEAR_BITS * 2
    assert perceptual_hash(b"not a picture") is None


@pytest.mark.usefixtures("all_day", "media_in_tmp")
def test_a_copy_on_another_visit_flags_both_and_a_new_picture_flags_none(record, manager_a, route_a):
    s1 = shop(route_a, "34.500000", "112.600000")
    s2 = shop(route_a, "34.500000", "112.610000")
    s3 = shop(route_a, "34.500000", "112.620000")
    first = record(
        manager_a,
        s1,
        latitude=s1.latitude,
        longitude=s1.longitude,
        accuracy_m=10,
        photos=[photo(encoded(picture(7)))],
    )
    assert codes(first) == []
    reused = record(
        manager_a,
        s2,
        latitude=s2.latitude,
        longitude=s2.longitude,
        accuracy_m=10,
        photos=[photo(encoded(picture(7), quality=50, scale=0.6))],
    )
    honest = record(
        manager_a,
        s3,
        latitude=s3.latitude,
        longitude=s3.longitude,
        accuracy_m=10,
        photos=[photo(encoded(picture(8)))],
    )

    assert "photo_reused" in codes(reused)
    assert "photo_reused" in codes(first)
    assert "photo_reused" not in codes(honest)
    stored = VisitPhoto.objects.filter(visit=reused).get()
    assert stored.phash == perceptual_hash(stored.image.open("rb").read())
    assert VisitPhoto.objects.get(visit=first).content_hash != stored.content_hash  # not a byte-for-byte copy
