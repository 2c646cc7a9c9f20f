"""Hand-built JPEGs for proof-of-visit tests: a fixed image body (the 'pixels') with or without an EXIF block
carrying a capture time and a GPS position."""

import datetime
import struct
from decimal import Decimal


def _rationals(value: Decimal) -> bytes:
    value = abs(Decimal(value))
    degrees = int(value)
    minutes_f = (value - degrees) * 60
    minutes = int(minutes_f)
    seconds_milli = round((minutes_f - minutes) * 60 * 1000)
    return struct.pack("<IIIIII", degrees, 1, minutes, 1, seconds_milli, 1000)


def _exif(taken: datetime.datetime | None, lat: Decimal | None, lng: Decimal | None) -> bytes:
    # IFD0 at 8 (2 entries, 30 bytes) → Exif IFD at 38 (1 entry, 18) → date at 56 (20) → GPS IFD at 76 (4 entries,
    # 54) → latitude at 130 (24) → longitude at 154 (24)
    def entry(tag, typ, count, value: bytes) -> bytes:
        return struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")

    ifd0 = (
        struct.pack("<H", 2)
        + entry(0x8769, 4, 1, struct.pack("<I", 38))
        + entry(0x8825, 4, 1, struct.pack("<I", 76))
    )
    ifd0 += b"\0\0\0\0"
    stamp = (taken.strftime("%Y:%m:%d %H:%M:%S") if taken else "").encode().ljust(19, b" ") + b"\0"
    exif_ifd = (
        struct.pack("<H", 1) + entry(0x9003 if taken else 0x9999, 2, 20, struct.pack("<I", 56)) + b"\0" * 4
    )
    if lat is not None:
        gps = struct.pack("<H", 4)
        gps += entry(1, 2, 2, b"N\0" if lat >= 0 else b"S\0")
        gps += entry(2, 5, 3, struct.pack("<I", 130))
        gps += entry(3, 2, 2, b"E\0" if lng >= 0 else b"W\0")
        gps += entry(4, 5, 3, struct.pack("<I", 154))
        gps += b"\0" * 4
        tail = gps + _rationals(lat) + _rationals(lng)
    else:
        tail = struct.pack("<H", 0) + b"\0" * 4
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + exif_ifd + stamp + tail
    assert tiff.index(stamp) == 56
    return b"Exif\0\0" + tiff


def jpeg(
    pixels: bytes,
    *,
    taken: datetime.datetime | None = None,
    lat: Decimal | None = None,
    lng: Decimal | None = None,
) -> bytes:
    out = b"\xff\xd8"
    if taken is not None or lat is not None:
        app1 = _exif(taken, lat, lng)
        out += b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    out += b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"
    sof = bytes([8]) + struct.pack(">HH", 480, 640) + b"\x01\x01\x11\x00"
    out += b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof
    out += b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + pixels + b"\xff\xd9"
    return out
