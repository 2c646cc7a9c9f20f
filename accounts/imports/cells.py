"""Parsers of a file's cells shared by the import specs: dates (also Excel serials), integers, money in fen,
yes/no words and choice labels."""

import datetime
import re

_DATE_RE = re.compile(r"^(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?(?:[ T].*)?$")


# An Excel date serial (days since 1899-12-30, Excel's 1900 system with its leap-year bug): a date cell exported
# to CSV as a number, e.g. 45296 = 2024-01-05. Five digits cover 1927-05-19 (10000) to 2173-10-14 (99999).
_EXCEL_SERIAL_RE = re.compile(r"^(\d{5})(?:\.0+)?$")
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_date(text: str) -> datetime.date:
    """2024-05-01, 2024/5/1, 2024年5月1日, 20240501 or an Excel date serial (45296)."""
    serial = _EXCEL_SERIAL_RE.match(text)
    if serial:
        return EXCEL_EPOCH + datetime.timedelta(days=int(serial.group(1)))
    match = _DATE_RE.match(text)
    if not match:
        raise ValueError
    year, month, day = (int(g) for g in match.groups())
    return datetime.date(year, month, day)


def parse_int(text: str) -> int:
    text = text.replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]
    return int(text)


def parse_money_fen(text: str) -> int:
    """Yuan with up to two decimals (e.g. 105.50, ¥1,234) to integer fen, without float rounding."""
    text = text.replace(",", "").replace("¥", "").replace("￥", "").replace("元", "").strip()
    match = re.fullmatch(r"(\d+)(?:\.(\d{1,2}))?", text)
    if not match:
        raise ValueError
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "夜间"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", ""}


def parse_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise ValueError


def choice_map(choices, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Accept a choice's code or its label in any of the UI languages: files carry Chinese labels whatever
    language the uploader reads the page in."""
    from django.conf import settings
    from django.utils import translation

    mapping = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in choices:
                mapping[str(value).lower()] = value
                mapping[str(label).lower()] = value
    for key, value in (extra or {}).items():
        mapping[key.lower()] = value
    return mapping
