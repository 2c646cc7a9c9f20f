"""The Chinese holidays outreach greets on, for any year, from the `holidays` package's Chinese lunisolar
calendar (1901–2099) — never a hand-written table per year.

Spring Festival is the 1st day of the 1st lunar month, the Lantern Festival (元宵) its 15th day — always 14 days
later, since a lunar month has 29 or 30 days — Dragon Boat the 5th of the 5th month, Mid-Autumn the 15th of the
8th; National Day is 1 October."""

import datetime
from functools import lru_cache

from django.utils.translation import gettext_lazy as _
from holidays.calendars.chinese import _ChineseLunisolar

SPRING_FESTIVAL = "spring_festival"
LANTERN = "lantern"
DRAGON_BOAT = "dragon_boat"
MID_AUTUMN = "mid_autumn"
NATIONAL_DAY = "national_day"

HOLIDAY_NAMES = {
    SPRING_FESTIVAL: _("春节"),
    LANTERN: _("元宵节"),
    DRAGON_BOAT: _("端午节"),
    MID_AUTUMN: _("中秋节"),
    NATIONAL_DAY: _("国庆节"),
}


@lru_cache(maxsize=256)
def holiday_dates(year: int) -> dict[str, datetime.date]:
    lunar = _ChineseLunisolar()
    new_year, _estimated = lunar.lunar_new_year_date(year)
    dragon_boat, _estimated = lunar.dragon_boat_date(year)
    mid_autumn, _estimated = lunar.mid_autumn_date(year)
    if new_year is None or dragon_boat is None or mid_autumn is None:
        raise ValueError(f"the lunisolar calendar does not cover {year}")
    return {
        SPRING_FESTIVAL: new_year,
        LANTERN: new_year + datetime.timedelta(days=14),
        DRAGON_BOAT: dragon_boat,
        MID_AUTUMN: mid_autumn,
        NATIONAL_DAY: datetime.date(year, 10, 1),
    }


def holidays_on(day: datetime.date, *, wanted=None) -> list[str]:
    """The holidays (keys) that fall on `day`, among `wanted` (default: all five)."""
    wanted = set(wanted or HOLIDAY_NAMES)
    return [key for key, date in holiday_dates(day.year).items() if date == day and key in wanted]
