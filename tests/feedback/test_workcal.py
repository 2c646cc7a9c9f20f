"""Deadlines in working hours (08:30–12:00, 13:30–17:30 Asia/Shanghai: 7.5 h a day) over weekends, China's public
holidays and make-up working days. Every expected moment below was counted by hand against the State Council's
2026 schedule: National Day off Oct 1–7 with Sep 20 (Sun) and Oct 10 (Sat) worked; Spring Festival off Feb 15–23
with Feb 14 (Sat) and Feb 28 (Sat) worked."""

import datetime

import pytest
from django.test import override_settings
from holidays.countries.china import ChinaStaticHolidays

from feedback.complaints import workcal
from feedback.complaints.workcal import calendar_coverage, is_working_day, working_day_end, working_time_add
from tests.feedback.conftest import local


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Friday 15:00 + 4 h: 2.5 h on Friday, 1.5 h on Monday morning
        (local(2026, 11, 20, 15, 0), 4, local(2026, 11, 23, 10, 0)),
        # a start in the lunch break counts from 13:30
        (local(2026, 11, 23, 12, 30), 2, local(2026, 11, 23, 15, 30)),
        # a start before hours counts from 08:30
        (local(2026, 11, 23, 7, 0), 3.5, local(2026, 11, 23, 12, 0)),
        # Saturday start: nothing counts until Monday 08:30
        (local(2026, 11, 21, 10, 0), 1, local(2026, 11, 23, 9, 30)),
        # National Day: Wed Sep 30 16:00 + 4 h → 1.5 h that day, Oct 1–7 off, 2.5 h on Thu Oct 8
        (local(2026, 9, 30, 16, 0), 4, local(2026, 10, 8, 11, 0)),
        # + 15 h → 1.5 (Sep 30) + 7.5 (Oct 8) + 6 on Fri Oct 9 (3.5 morning, 2.5 afternoon)
        (local(2026, 9, 30, 16, 0), 15, local(2026, 10, 9, 16, 0)),
        # make-up Saturday Oct 10 is worked: Fri Oct 9 17:00 + 4 h → 0.5 h, then 3.5 h on Sat morning
        (local(2026, 10, 9, 17, 0), 4, local(2026, 10, 10, 12, 0)),
        # make-up Sunday Sep 20 is worked: Sat Sep 19 10:00 + 2 h → Sun Sep 20 10:30
        (local(2026, 9, 19, 10, 0), 2, local(2026, 9, 20, 10, 30)),
        # Spring Festival: Fri Feb 13 17:00 + 4 h → 0.5 h, then make-up Sat Feb 14 morning
        (local(2026, 2, 13, 17, 0), 4, local(2026, 2, 14, 12, 0)),
        # + 15 h → 0.5 + 7.5 (Feb 14), Feb 15–23 off, 7 h on Tue Feb 24 (3.5 + 3.5 → 17:00)
        (local(2026, 2, 13, 17, 0), 15, local(2026, 2, 24, 17, 0)),
        # New Year: Wed Dec 31 2025 17:00 + 1 h → Jan 1–3 off, Sun Jan 4 (make-up day) 09:00
        (local(2025, 12, 31, 17, 0), 1, local(2026, 1, 4, 9, 0)),
    ],
)
def test_working_time_add_counts_only_office_hours_on_working_days(start, hours, expected):
    assert working_time_add(start=start, hours=hours) == expected


def test_working_days_follow_holidays_and_make_up_days():
    assert is_working_day(datetime.date(2026, 10, 1)) is False  # National Day
    assert is_working_day(datetime.date(2026, 10, 7)) is False  # a weekday moved off
    assert is_working_day(datetime.date(2026, 10, 10)) is True  # a Saturday worked
    assert is_working_day(datetime.date(2026, 2, 23)) is False  # a Monday in the Spring Festival break
    assert is_working_day(datetime.date(2026, 2, 28)) is True  # a Saturday worked
    assert is_working_day(datetime.date(2026, 11, 21)) is False  # an ordinary Saturday
    assert is_working_day(datetime.date(2026, 11, 23)) is True


def test_a_year_without_the_official_schedule_is_counted_provisionally_not_refused(monkeypatch):
    real = calendar_coverage()
    assert real[1] >= 2026
    table = {year: days for year, days in ChinaStaticHolidays.special_public_holidays.items() if year <= 2025}
    monkeypatch.setattr(ChinaStaticHolidays, "special_public_holidays", table)  # the library as of 2025
    workcal._year.cache_clear()
    try:
        # 2026 by rule only: Feb 23 (a bridge day of the notice) is worked, Feb 28 (a make-up Saturday) is not
        assert is_working_day(datetime.date(2026, 2, 23)) is True
        assert is_working_day(datetime.date(2026, 2, 28)) is False
        assert is_working_day(datetime.date(2026, 2, 17)) is False  # the Spring Festival itself, by rule
        assert calendar_coverage()[1] == 2025
        assert workcal.uncovered_years(start=local(2025, 12, 31, 17, 0), end=local(2026, 1, 5, 9, 0)) == [
            2026
        ]
    finally:
        workcal._year.cache_clear()


def test_working_day_end_is_today_or_the_next_working_day():
    assert working_day_end(moment=local(2026, 11, 23, 16, 30)) == local(2026, 11, 23, 17, 30)
    assert working_day_end(moment=local(2026, 11, 23, 18, 0)) == local(2026, 11, 24, 17, 30)
    assert working_day_end(moment=local(2026, 9, 30, 18, 0)) == local(2026, 10, 8, 17, 30)


@override_settings(FEEDBACK_OFFICE_HOURS=[("09:00", "17:00")])
def test_office_hours_come_from_settings():
    assert working_time_add(start=local(2026, 11, 23, 16, 0), hours=2) == local(2026, 11, 24, 10, 0)


@override_settings(FEEDBACK_OFFICE_HOURS=[("13:00", "12:00")])
def test_inverted_office_hours_are_refused():
    with pytest.raises(ValueError, match="FEEDBACK_OFFICE_HOURS"):
        working_time_add(start=local(2026, 11, 23, 9, 0), hours=1)


def test_the_system_check_warns_when_this_year_is_not_covered(monkeypatch):
    from feedback import checks as feedback_checks

    monkeypatch.setattr(feedback_checks, "calendar_coverage", lambda: (2001, 2999))
    assert feedback_checks.calendar_covers_this_year() == []
    monkeypatch.setattr(feedback_checks, "calendar_coverage", lambda: (2001, 2020))
    (warning,) = feedback_checks.calendar_covers_this_year()
    assert warning.id == "feedback.W001"
    assert "2020" in warning.msg
