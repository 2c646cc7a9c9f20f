"""Parsers for the identifiers a retailer record carries. Each returns the normal form or raises ValidationError."""

import re
from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# re.ASCII: `\d` would otherwise accept any script's digits (Arabic-Indic, Devanagari...), which int() then
# reads as numbers and the database's regex CHECK may not; full-width digits are translated before matching.
LICENCE_RE = re.compile(r"^\d{12}$", re.ASCII)
HOLDER_TYPES = {"1": _("个体工商户"), "2": _("企业")}
ID_CARD_RE = re.compile(r"^\d{17}[\dX]$", re.ASCII)
ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CARD_CHECK = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-－—()（）]")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# re.ASCII keeps other scripts' digits off the fast path; phonenumbers' full parse turns them into ASCII.
_PLAIN_MOBILE = re.compile(r"(?:\+?86|0086)?(1\d{10})", re.ASCII)
_CN_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern, re.ASCII
)


@dataclass(frozen=True)
class Licence:
    number: str
    region_code: str
    holder_type: str
    serial: str


def licence_parse(raw: str) -> Licence:
    """A tobacco retail licence number: 12 digits = region code (6) + holder type (1 or 2) + serial (5)."""
    number = _SEPARATORS.sub("", str(raw or "")).translate(_FULLWIDTH_DIGITS)
    if not LICENCE_RE.match(number):
        raise ValidationError(
            _("许可证号必须是 12 位数字（现为“%(value)s”）。"), code="licence_format", params={"value": raw}
        )
    if number[6] not in HOLDER_TYPES:
        raise ValidationError(
            _("许可证号第 7 位是持证人类型，只能是 1（个体）或 2（企业），现为 %(digit)s。"),
            code="licence_holder_type",
            params={"digit": number[6]},
        )
    if number[7:] == "00000":
        raise ValidationError(_("许可证号后 5 位流水号不能全为 0。"), code="licence_serial")
    return Licence(number=number, region_code=number[:6], holder_type=number[6], serial=number[7:])


def mobile_normalise(raw: str) -> str:
    """A mainland mobile number as 11 digits starting with 1; accepts +86/0086, spaces, dashes, full-width digits."""
    text = _SEPARATORS.sub("", str(raw or "")).translate(_FULLWIDTH_DIGITS)
    if not text:
        raise ValidationError(_("请填写手机号。"), code="mobile_required")
    # Fast path for the common forms (imports validate 100k numbers): phonenumbers' own CN mobile pattern,
    # which agrees with its full parse + is_valid_number + number_type for every 11-digit number.
    plain = _PLAIN_MOBILE.fullmatch(text)
    if plain and _CN_MOBILE.fullmatch(plain.group(1)):
        return plain.group(1)
    if text.startswith("0086"):
        text = "+86" + text[4:]
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(
            _("“%(value)s”不是有效的手机号。"), code="mobile_invalid", params={"value": raw}
        ) from exc
    national = str(parsed.national_number)
    if (
        parsed.country_code != 86
        or len(national) != 11
        or not national.startswith("1")
        or phonenumbers.number_type(parsed)
        not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
        or not phonenumbers.is_valid_number(parsed)
    ):
        raise ValidationError(
            _("“%(value)s”不是有效的中国大陆手机号（11 位，号段如 138、159、186）。"),
            code="mobile_invalid",
            params={"value": raw},
        )
    return national


def id_card_normalise(raw: str) -> str:
    """An 18-character resident ID number with a valid ISO 7064 check character."""
    text = _SEPARATORS.sub("", str(raw or "")).translate(_FULLWIDTH_DIGITS).upper()
    if not ID_CARD_RE.match(text):
        raise ValidationError(_("身份证号必须是 18 位（最后一位可为 X）。"), code="id_card_format")
    total = sum(int(d) * w for d, w in zip(text[:17], ID_CARD_WEIGHTS, strict=True))
    if ID_CARD_CHECK[total % 11] != text[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_card_checksum")
    return text
