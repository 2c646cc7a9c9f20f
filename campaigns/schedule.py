"""Cron expressions for recurring campaigns ("minute hour day-of-month month day-of-week", Sunday = 0 or 7), read
with Celery's own cron parser, and the next time one fires in the project's time zone."""

import datetime

from celery.schedules import ParseException, crontab_parser
from django.utils import timezone

MAX_DAYS_AHEAD = 366 * 5


class CronError(ValueError):
    pass


def cron_parse(expression: str) -> tuple[set, set, set, set, set]:
    fields = (expression or "").split()
    if len(fields) != 5:
        raise CronError("cron needs five fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
    try:
        weekdays = {d % 7 for d in crontab_parser(8).parse(weekday)}
        return (
            crontab_parser(60).parse(minute),
            crontab_parser(24).parse(hour),
            crontab_parser(31, 1).parse(day),
            crontab_parser(12, 1).parse(month),
            weekdays,
        )
    except (ParseException, ValueError) as exc:
        raise CronError(str(exc)) from exc


def cron_next(expression: str, after: datetime.datetime) -> datetime.datetime:
    """The first time strictly after `after` at which the expression fires (aware, local time zone)."""
    minutes, hours, days, months, weekdays = cron_parse(expression)
    local = timezone.localtime(after).replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    day = local.date()
    for _ in range(MAX_DAYS_AHEAD):
        cron_weekday = (day.weekday() + 1) % 7  # Python: Monday = 0; cron: Sunday = 0
        if day.month in months and day.day in days and cron_weekday in weekdays:
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    candidate = timezone.make_aware(
                        datetime.datetime.combine(day, datetime.time(hour, minute)),
                        timezone.get_current_timezone(),
                    )
                    if candidate >= local:
                        return candidate
        day += datetime.timedelta(days=1)
    raise CronError("the expression never fires")
