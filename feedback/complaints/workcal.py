"""Working-hours arithmetic for complaint deadlines: office hours (settings.FEEDBACK_OFFICE_HOURS, Asia/Shanghai)
on China's working days — weekdays that are not public holidays, plus the make-up working days (调休) — as the
`holidays` library publishes them from the State Council's yearly notice.

The library knows a year's make-up days only once the notice is out (each December for the next year). For a
year it has no notice for yet, the working days are *provisional*: weekdays minus the public holidays the library
computes by rule (New Year's Day, the Spring Festival by the lunar calendar, Qingming, Labour Day, …, with their
"observed" days), but without the make-up days and bridge days the notice will add. A deadline that runs through
such a year is provisional (`is_provisional`): it may move by a day or two around a holiday once the notice is
out; the complaints service flags it and recomputes it when the library covers the year.
`calendar_coverage()` says which years are covered, for the admin's warning and the system check.
"""

import datetime
import functools
import zoneinfo

import holidays
from django.conf import settings
from django.utils import timezone
from holidays.countries.china import ChinaStaticHolidays

DEFAULT_OFFICE_HOURS = (("08:30", "12:00"), ("13:30", "17:30"))


def calendar_coverage() -> tuple[int, int]:
    """First and last year for which the library carries the State Council's make-up working days."""
    years = ChinaStaticHolidays.special_public_holidays.keys()
    return min(years), max(years)


def is_covered(year: int) -> bool:
    """Whether the library carries the State Council's official schedule (make-up days included) for `year`."""
    first, last = calendar_coverage()
    return first <= year <= last


def uncovered_years(*, start: datetime.datetime, end: datetime.datetime) -> list[int]:
    """The years between `start` and `end` (local dates, inclusive) the official schedule does not cover yet."""
    zone = _zone()
    first_year = timezone.localtime(start, zone).year
    last_year = timezone.localtime(end, zone).year
    return [year for year in range(first_year, last_year + 1) if not is_covered(year)]


def is_provisional(*, start: datetime.datetime, end: datetime.datetime) -> bool:
    """Whether a span of working time from `start` to `end` was counted on a provisional calendar."""
    return bool(uncovered_years(start=start, end=end))


@functools.lru_cache(maxsize=16)
def _year(year: int) -> tuple[frozenset[datetime.date], frozenset[datetime.date]]:
    """(days off, make-up working days) of `year`; for a year not covered, the rule-based public holidays only
    and no make-up days (see the module docstring). Cached: call `_year.cache_clear()` after changing coverage."""
    days_off = holidays.China(years=year)
    if not is_covered(year):
        return frozenset(days_off.keys()), frozenset()
    workdays = frozenset(d for d in days_off.weekend_workdays if d.year == year)
    return frozenset(days_off.keys()), workdays


def is_working_day(day: datetime.date) -> bool:
    days_off, make_up_days = _year(day.year)
    if day in make_up_days:
        return True
    return day.weekday() < 5 and day not in days_off


def office_hours() -> list[tuple[datetime.time, datetime.time]]:
    """The day's working periods, in order, from settings (read at call time so tests and admins can change it)."""
    periods = []
    for start, end in getattr(settings, "FEEDBACK_OFFICE_HOURS", DEFAULT_OFFICE_HOURS):
        begin, finish = datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)
        if begin >= finish or (periods and begin < periods[-1][1]):
            raise ValueError("FEEDBACK_OFFICE_HOURS must be increasing, non-overlapping periods")
        periods.append((begin, finish))
    if not periods:
        raise ValueError("FEEDBACK_OFFICE_HOURS is empty")
    return periods


def _zone():
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _periods_from(moment: datetime.datetime, *, max_days: int = 400):
    """The working periods (start, end) as aware datetimes, from `moment` on, the first one clipped to it."""
    zone = _zone()
    local = timezone.localtime(moment, zone)
    periods = office_hours()
    day = local.date()
    for _offset in range(max_days):
        if is_working_day(day):
            for begin, finish in periods:
                start = datetime.datetime.combine(day, begin, tzinfo=zone)
                end = datetime.datetime.combine(day, finish, tzinfo=zone)
                if end <= local:
                    continue
                yield max(start, local), end
        day += datetime.timedelta(days=1)
    raise ValueError("no working time within a year of the start")


def working_time_add(*, start: datetime.datetime, hours: float) -> datetime.datetime:
    """The moment `hours` working hours after `start` (a start outside office hours counts from the next period)."""
    remaining = datetime.timedelta(hours=hours)
    if remaining <= datetime.timedelta(0):
        raise ValueError("hours must be positive")
    for begin, end in _periods_from(start):
        span = end - begin
        if remaining <= span:
            return begin + remaining
        remaining -= span
    raise AssertionError("unreachable")  # pragma: no cover - _periods_from raises first


def working_day_end(*, moment: datetime.datetime) -> datetime.datetime:
    """The end of the working day `moment` falls in, or of the next working day when it is after hours."""
    first_begin, _first_end = next(_periods_from(moment))
    day = first_begin.date()
    return datetime.datetime.combine(day, office_hours()[-1][1], tzinfo=_zone())


def working_days_add(*, start: datetime.datetime, days: int) -> datetime.datetime:
    """The close of office on the `days`-th working day after the day of `start` (that day itself does not count),
    as a statutory "within N working days" is read."""
    if days <= 0:
        raise ValueError("days must be positive")
    zone = _zone()
    day = timezone.localtime(start, zone).date()
    left = days
    while left:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return datetime.datetime.combine(day, office_hours()[-1][1], tzinfo=zone)
