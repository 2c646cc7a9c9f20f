"""Property tests for the identifier parsers: what they accept, how they normalise, which code they reject with."""

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import assume, example, given
from hypothesis import strategies as st

from accounts.parsers import (
    ID_CARD_CHECK,
    ID_CARD_WEIGHTS,
    id_card_normalise,
    licence_parse,
    mobile_normalise,
)
from core.masking import mask_mobile, mask_tail

DIGITS = "0123456789"
FULLWIDTH = "０１２３４５６７８９"

region_codes = st.text(DIGITS, min_size=6, max_size=6)
serials = st.text(DIGITS, min_size=5, max_size=5).filter(lambda s: s != "00000")
holder_types = st.sampled_from("12")
valid_licences = st.builds(lambda r, h, s: r + h + s, region_codes, holder_types, serials)


def error_code(exc: ValidationError) -> str:
    return exc.error_list[0].code


def to_fullwidth(text: str) -> str:
    return text.translate(str.maketrans(DIGITS, FULLWIDTH))


@given(valid_licences)
def test_licence_parse_accepts_twelve_digits_with_holder_type_1_or_2(number):
    licence = licence_parse(number)
    assert licence.number == number
    assert licence.region_code == number[:6]
    assert licence.holder_type == number[6]
    assert licence.serial == number[7:]


@given(valid_licences, st.sampled_from(["fullwidth", "spaces", "dashes"]))
def test_licence_parse_normalises_fullwidth_digits_spaces_and_dashes(number, style):
    if style == "fullwidth":
        raw = to_fullwidth(number)
    elif style == "spaces":
        raw = f" {number[:6]} {number[6]} {number[7:]} "
    else:
        raw = f"{number[:6]}-{number[6]}-{number[7:]}"
    assert licence_parse(raw).number == number


@given(region_codes, st.sampled_from("03456789"), serials)
def test_licence_parse_rejects_holder_type_other_than_1_or_2(region, holder, serial):
    with pytest.raises(ValidationError) as info:
        licence_parse(region + holder + serial)
    assert error_code(info.value) == "licence_holder_type"


@given(st.text(DIGITS, max_size=20).filter(lambda s: len(s) != 12))
@example("")
@example("41030210000")
@example("4103021000011")
def test_licence_parse_rejects_wrong_length_with_format_code(number):
    with pytest.raises(ValidationError) as info:
        licence_parse(number)
    assert error_code(info.value) == "licence_format"


@given(valid_licences, st.integers(0, 11), st.sampled_from(list("aXz.#/+一")))
def test_licence_parse_rejects_a_non_digit_anywhere(number, position, char):
    with pytest.raises(ValidationError) as info:
        licence_parse(number[:position] + char + number[position + 1 :])
    assert error_code(info.value) == "licence_format"


# Decimal digits of other scripts (Arabic-Indic, Devanagari, …) are not licence digits; only full-width
# digits, which Chinese input methods produce, are normalised.
foreign_digits = st.characters(categories=["Nd"]).filter(lambda c: not c.isascii() and c not in FULLWIDTH)


@given(valid_licences, st.integers(0, 11), foreign_digits)
def test_licence_parse_rejects_digits_of_other_scripts(number, position, char):
    with pytest.raises(ValidationError) as info:
        licence_parse(number[:position] + char + number[position + 1 :])
    assert error_code(info.value) == "licence_format"


@given(region_codes, holder_types)
def test_licence_parse_rejects_an_all_zero_serial(region, holder):
    with pytest.raises(ValidationError) as info:
        licence_parse(region + holder + "00000")
    assert error_code(info.value) == "licence_serial"


@given(st.text(max_size=30))
def test_licence_parse_either_returns_twelve_ascii_digits_or_raises(raw):
    try:
        licence = licence_parse(raw)
    except ValidationError as exc:
        code = error_code(exc)
        licence = None
    else:
        code = None
    if licence is None:
        assert code in {"licence_format", "licence_holder_type", "licence_serial"}
    else:
        assert len(licence.number) == 12
        assert licence.number.isascii()
        assert licence.number.isdigit()


# Mobile numbers: 11 digits, real mainland prefixes, valid per libphonenumber's metadata.
mobile_prefixes = st.sampled_from(["138", "139", "186", "135", "150", "177", "199"])
valid_mobiles = st.builds(lambda p, rest: p + rest, mobile_prefixes, st.text(DIGITS, min_size=8, max_size=8))


@given(valid_mobiles, st.sampled_from(["plain", "+86", "+86 ", "0086", "0086-", "spaced", "fullwidth"]))
def test_mobile_normalise_accepts_country_code_and_separator_forms(number, style):
    assume(phonenumbers.is_valid_number(phonenumbers.parse(number, "CN")))
    raw = {
        "plain": number,
        "+86": "+86" + number,
        "+86 ": "+86 " + number,
        "0086": "0086" + number,
        "0086-": "0086-" + number,
        "spaced": f"{number[:3]} {number[3:7]} {number[7:]}",
        "fullwidth": to_fullwidth(number),
    }[style]
    assert mobile_normalise(raw) == number


@given(valid_mobiles, st.integers(1, 4))
def test_mobile_normalise_rejects_numbers_cut_short(number, cut):
    with pytest.raises(ValidationError) as info:
        mobile_normalise(number[:-cut])
    assert error_code(info.value) == "mobile_invalid"


@given(valid_mobiles, st.text(DIGITS, min_size=1, max_size=3))
def test_mobile_normalise_rejects_numbers_too_long(number, extra):
    with pytest.raises(ValidationError) as info:
        mobile_normalise(number + extra)
    assert error_code(info.value) == "mobile_invalid"


@pytest.mark.parametrize(
    "raw",
    [
        "010-12345678",  # Beijing landline
        "0379-63912345",  # Luoyang landline
        "037963912345",
        "+1 650 253 0000",  # not mainland China
        "+852 9123 4567",  # Hong Kong mobile
        "12345678901",  # 11 digits starting with 1, but no such mobile prefix
        "10086",  # a service number
        "abcdefghijk",
    ],
)
def test_mobile_normalise_rejects_landlines_foreign_and_non_numbers(raw):
    with pytest.raises(ValidationError) as info:
        mobile_normalise(raw)
    assert error_code(info.value) == "mobile_invalid"


@pytest.mark.parametrize("raw", ["", "   ", None, "--"])
def test_mobile_normalise_requires_a_value(raw):
    with pytest.raises(ValidationError) as info:
        mobile_normalise(raw)
    assert error_code(info.value) == "mobile_required"


@given(valid_mobiles, st.integers(1, 10), foreign_digits)
def test_mobile_normalise_never_returns_digits_of_other_scripts(number, position, char):
    raw = number[:position] + char + number[position + 1 :]
    try:
        result = mobile_normalise(raw)
    except ValidationError:
        return
    assert result.isascii()
    assert result.isdigit()


@given(st.text(max_size=25))
def test_mobile_normalise_either_returns_a_mainland_mobile_or_raises(raw):
    try:
        number = mobile_normalise(raw)
    except ValidationError:
        return
    assert len(number) == 11
    assert number.startswith("1")
    assert number.isascii()
    assert number.isdigit()


# Resident ID numbers: 17 digits (region, birth date, sequence) + an ISO 7064 MOD 11-2 check character.
def with_check(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_CARD_WEIGHTS, strict=True))
    return first17 + ID_CARD_CHECK[total % 11]


id_bodies = st.builds(
    lambda region, date, seq: region + date.strftime("%Y%m%d") + seq,
    region_codes,
    st.dates(),
    st.text(DIGITS, min_size=3, max_size=3),
).filter(lambda s: len(s) == 17)
valid_ids = id_bodies.map(with_check)


@given(valid_ids)
def test_id_card_normalise_accepts_ids_with_a_correct_check_character(number):
    assert id_card_normalise(number) == number


def ending_in_x(body: str) -> str | None:
    """Complete the first 16 characters of `body` with the 17th digit that makes the check character X."""
    for digit in DIGITS:
        number = with_check(body[:16] + digit)
        if number.endswith("X"):
            return number
    return None  # one prefix in eleven has no such digit


ids_ending_in_x = id_bodies.map(ending_in_x).filter(bool)


@given(ids_ending_in_x)
def test_id_card_normalise_upper_cases_a_lower_case_x(number):
    assert id_card_normalise(number.lower()) == number


@given(valid_ids, st.integers(0, 16), st.integers(1, 9))
def test_id_card_normalise_rejects_a_one_digit_change(number, position, delta):
    changed = str((int(number[position]) + delta) % 10)
    tampered = number[:position] + changed + number[position + 1 :]
    with pytest.raises(ValidationError) as info:
        id_card_normalise(tampered)
    assert error_code(info.value) == "id_card_checksum"


@given(valid_ids, st.sampled_from(list("0123456789X")))
def test_id_card_normalise_rejects_a_wrong_check_character(number, check):
    assume(check != number[-1])
    with pytest.raises(ValidationError) as info:
        id_card_normalise(number[:-1] + check)
    assert error_code(info.value) == "id_card_checksum"


@given(valid_ids, st.integers(0, 16), foreign_digits)
def test_id_card_normalise_rejects_digits_of_other_scripts(number, position, char):
    with pytest.raises(ValidationError) as info:
        id_card_normalise(number[:position] + char + number[position + 1 :])
    assert error_code(info.value) in {"id_card_format", "id_card_checksum"}


@given(st.text(DIGITS, max_size=25).filter(lambda s: len(s) != 18))
def test_id_card_normalise_rejects_wrong_length(number):
    with pytest.raises(ValidationError) as info:
        id_card_normalise(number)
    assert error_code(info.value) == "id_card_format"


def test_id_card_normalise_accepts_the_published_sample_id():
    # GB 11643-1999's worked example
    assert id_card_normalise("11010519491231002X") == "11010519491231002X"


def test_mask_mobile_keeps_the_first_three_and_last_four_digits():
    assert mask_mobile("13812341234") == "138****1234"


@given(valid_mobiles)
def test_mask_mobile_never_shows_the_middle_four_digits(number):
    masked = mask_mobile(number)
    assert masked == number[:3] + "****" + number[-4:]
    assert number[3:7] not in masked[3:7]


@pytest.mark.parametrize(("value", "masked"), [("", ""), ("123", "***")])
def test_mask_mobile_hides_short_values_entirely(value, masked):
    assert mask_mobile(value) == masked


@given(st.text(DIGITS + "X", min_size=5, max_size=30))
def test_mask_tail_shows_only_the_last_four_characters(value):
    masked = mask_tail(value)
    assert len(masked) == len(value)
    assert masked[-4:] == value[-4:]
    assert set(masked[:-4]) <= {"*"}


def test_mask_tail_of_nothing_is_nothing():
    assert mask_tail("") == ""
