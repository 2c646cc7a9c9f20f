"""What a photo says about itself: the EXIF capture time and GPS position of a JPEG (read with the standard
library), a fingerprint of the image data without its metadata, and a perceptual hash of its pixels (Pillow).

The fingerprint is a SHA-256 over the JPEG's tables and entropy-coded scan (APPn and COM segments — EXIF, XMP,
thumbnails, comments — left out), or over a PNG's IHDR and IDAT chunks: the same picture sent again, with its EXIF
stripped or edited, gives the same fingerprint. A re-encoded, resized or recompressed copy does not: the perceptual
hash (a 64-bit difference hash of the decoded, greyscaled 9×8 picture) does, within a few bits."""

import contextlib
import datetime
import hashlib
import io
import struct
from dataclasses import dataclass
from decimal import Decimal

from PIL import Image, UnidentifiedImageError

TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
TAG_DATETIME_ORIGINAL = 0x9003
TAG_DATETIME = 0x0132
TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 9: 4, 10: 8}


@dataclass
class PhotoFacts:
    fingerprint: str
    taken_at: datetime.datetime | None = None  # naive: EXIF has no zone; the caller applies the local one
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    width: int | None = None
    height: int | None = None
    phash: int | None = None  # perceptual_hash(); None when the pixels cannot be decoded


def _jpeg_segments(data: bytes):
    """(marker, payload) of each segment up to the start of scan, then (0xDA, the rest)."""
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker == 0xDA:
            yield marker, data[i + 2 :]
            return
        yield marker, data[i + 4 : i + 2 + length]
        i += 2 + length


class _Tiff:
    def __init__(self, blob: bytes):
        self.blob = blob
        self.endian = "<" if blob[:2] == b"II" else ">"

    def unpack(self, fmt: str, offset: int):
        return struct.unpack_from(self.endian + fmt, self.blob, offset)

    def ifd(self, offset: int) -> dict[int, tuple[int, int, int]]:
        """tag -> (type, count, value offset in blob)."""
        entries = {}
        (count,) = self.unpack("H", offset)
        for n in range(count):
            pos = offset + 2 + 12 * n
            tag, typ, cnt = self.unpack("HHI", pos)
            size = TYPE_SIZES.get(typ, 1) * cnt
            value_at = pos + 8 if size <= 4 else self.unpack("I", pos + 8)[0]
            entries[tag] = (typ, cnt, value_at)
        return entries

    def ascii(self, entry) -> str:
        _typ, cnt, at = entry
        return self.blob[at : at + cnt].split(b"\0", 1)[0].decode("ascii", "replace")

    def long(self, entry) -> int:
        typ, _cnt, at = entry
        return self.unpack("H" if typ == 3 else "I", at)[0]

    def rationals(self, entry) -> list[Decimal]:
        _typ, cnt, at = entry
        out = []
        for k in range(cnt):
            num, den = self.unpack("II", at + 8 * k)
            out.append(Decimal(num) / den if den else Decimal(0))
        return out


def _degrees(tiff: _Tiff, value, ref) -> Decimal | None:
    if value is None or ref is None:
        return None
    d, m, s = ([*tiff.rationals(value), Decimal(0), Decimal(0)])[:3]
    deg = d + m / 60 + s / 3600
    if tiff.ascii(ref).upper() in ("S", "W"):
        deg = -deg
    return deg.quantize(Decimal("0.000001"))


def _read_exif(blob: bytes, facts: PhotoFacts) -> None:
    tiff = _Tiff(blob)
    (ifd0_at,) = tiff.unpack("I", 4)
    ifd0 = tiff.ifd(ifd0_at)
    stamp = None
    if TAG_EXIF_IFD in ifd0:
        sub = tiff.ifd(tiff.long(ifd0[TAG_EXIF_IFD]))
        if TAG_DATETIME_ORIGINAL in sub:
            stamp = tiff.ascii(sub[TAG_DATETIME_ORIGINAL])
    if stamp is None and TAG_DATETIME in ifd0:
        stamp = tiff.ascii(ifd0[TAG_DATETIME])
    if stamp:
        try:
            # EXIF has no zone: naive on purpose, the caller applies the local one
            facts.taken_at = datetime.datetime.strptime(stamp.strip(), "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
        except ValueError:
            facts.taken_at = None
    if TAG_GPS_IFD in ifd0:
        gps = tiff.ifd(tiff.long(ifd0[TAG_GPS_IFD]))
        facts.latitude = _degrees(tiff, gps.get(2), gps.get(1))
        facts.longitude = _degrees(tiff, gps.get(4), gps.get(3))
        if facts.latitude is None or facts.longitude is None:
            facts.latitude = facts.longitude = None


PHASH_BITS = 64
MAX_PIXELS = 50_000_000  # a decompression bomb is refused before it is decoded


def perceptual_hash(data: bytes) -> int | None:
    """A difference hash: the picture greyscaled and shrunk to 9×8, one bit per pair of neighbours in a row
    (left brighter than right). Re-encoding, resizing and mild recompression change a few of the 64 bits; another
    picture differs in about half. A signed 64-bit int (PostgreSQL bigint); None if the pixels cannot be read."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                return None
            small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
            pixels = list(small.tobytes())  # mode "L": one byte a pixel, row by row
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    value = 0
    for row in range(8):
        for col in range(8):
            value = (value << 1) | (pixels[row * 9 + col] > pixels[row * 9 + col + 1])
    return value - (1 << PHASH_BITS) if value >= 1 << (PHASH_BITS - 1) else value


def photo_facts(data: bytes) -> PhotoFacts:
    """Never raises on a malformed file: what cannot be read is None, and the fingerprint falls back to the bytes."""
    facts = _photo_facts(data)
    facts.phash = perceptual_hash(data)
    return facts


def _photo_facts(data: bytes) -> PhotoFacts:
    if data[:3] == b"\xff\xd8\xff":
        digest = hashlib.sha256()
        facts = PhotoFacts(fingerprint="")
        try:
            for marker, payload in _jpeg_segments(data):
                if marker == 0xE1 and payload[:6] == b"Exif\0\0" and facts.taken_at is None:
                    with contextlib.suppress(struct.error, IndexError, ValueError, ZeroDivisionError):
                        _read_exif(payload[6:], facts)
                if marker in (0xC0, 0xC1, 0xC2) and len(payload) >= 5:
                    facts.height, facts.width = struct.unpack(">HH", payload[1:5])
                if 0xE0 <= marker <= 0xEF or marker == 0xFE:
                    continue
                digest.update(bytes([marker]))
                digest.update(payload)
        except struct.error:
            return PhotoFacts(fingerprint=hashlib.sha256(data).hexdigest())
        facts.fingerprint = digest.hexdigest()
        return facts
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        digest = hashlib.sha256()
        facts = PhotoFacts(fingerprint="")
        i = 8
        while i + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[i : i + 8])
            if kind in (b"IHDR", b"IDAT"):
                digest.update(data[i + 8 : i + 8 + length])
            if kind == b"IHDR" and length >= 8:
                facts.width, facts.height = struct.unpack(">II", data[i + 8 : i + 16])
            i += 12 + length
        facts.fingerprint = digest.hexdigest()
        return facts
    return PhotoFacts(fingerprint=hashlib.sha256(data).hexdigest())
