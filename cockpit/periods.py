"""Weeks (Monday–Sunday) and months as the cockpit counts them, and their bounds as aware datetimes."""

import datetime
import zoneinfo

from django.conf import settings

from cockpit.models import Period


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def period_start(period: str, day: datetime.date) -> datetime.date:
    return week_start(day) if period == Period.WEEK else month_start(day)


def period_end(period: str, start: datetime.date) -> datetime.date:
    """The first day after the period."""
    if period == Period.WEEK:
        return start + datetime.timedelta(days=7)
    return (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def shift(period: str, start: datetime.date, n: int) -> datetime.date:
    """The start of the period n periods after (n < 0: before) the one starting at `start`."""
    if period == Period.WEEK:
        return start + datetime.timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return datetime.date(months // 12, months % 12 + 1, 1)


def starts(period: str, last: datetime.date, count: int) -> list[datetime.date]:
    """`count` period starts ending with `last`, oldest first."""
    return [shift(period, last, n) for n in range(-count + 1, 1)]


def aware(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def quarter_label(day: datetime.date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def label(period: str, start: datetime.date) -> str:
    if period == Period.WEEK:
        year, week, _weekday = start.isocalendar()
        return f"{year}-W{week:02d}"
    return start.strftime("%Y-%m")
