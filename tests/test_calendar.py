"""Working calendars, checked against days counted by hand."""

from datetime import date

import pytest

from pmsync.core.calendar import WorkCalendar, check_holidays, format_workdays, parse_workdays
from pmsync.core.models import PM, TimeOff
from pmsync.errors import BadInput, CannotForecast

MON = date(2027, 1, 4)


def test_weekends_are_not_working_days() -> None:
    cal = WorkCalendar(PM("Ann", 40), MON)
    assert [cal.day(i) for i in range(6)] == [
        date(2027, 1, 4),
        date(2027, 1, 5),
        date(2027, 1, 6),
        date(2027, 1, 7),
        date(2027, 1, 8),
        date(2027, 1, 11),
    ]
    assert cal.day_units == cal.units(8)  # 40 h over five days


def test_public_holidays_of_the_pms_calendar_are_skipped() -> None:
    us = WorkCalendar(PM("Ann", 40, holidays="US"), MON)
    de = WorkCalendar(PM("Eva", 40, holidays="DE-BY"), MON)
    assert not us.is_working(date(2027, 1, 18))  # Martin Luther King Jr. Day
    assert de.is_working(date(2027, 1, 18))
    assert not de.is_working(date(2027, 1, 6))  # Epiphany, Bavaria only
    assert us.is_working(date(2027, 1, 6))


def test_time_off_is_inclusive() -> None:
    pm = PM("Ann", 40, timeoff=(TimeOff(date(2027, 1, 5), date(2027, 1, 7)),))
    cal = WorkCalendar(pm, MON)
    assert [cal.day(i) for i in range(3)] == [date(2027, 1, 4), date(2027, 1, 8), date(2027, 1, 11)]


def test_part_time_capacity_spreads_over_its_own_days() -> None:
    pm = PM("Ben", 37.5, workdays=(0, 1, 2, 3))
    cal = WorkCalendar(pm, MON)
    assert pm.hours_per_day == 9.375
    assert not cal.is_working(date(2027, 1, 8))  # Friday
    assert cal.day(4) == date(2027, 1, 11)


def test_working_days_between_counts_after_a_up_to_and_including_b() -> None:
    cal = WorkCalendar(PM("Ann", 40), MON)
    assert cal.working_days_between(date(2027, 1, 8), date(2027, 1, 15)) == 5
    assert cal.working_days_between(date(2027, 1, 15), date(2027, 1, 8)) == -5
    assert cal.working_days_between(date(2027, 1, 8), date(2027, 1, 10)) == 0  # weekend
    # A promise already in the past still counts its working days.
    assert cal.working_days_between(date(2026, 12, 28), date(2027, 1, 5)) == 6


def test_workdays_are_read_and_written_back() -> None:
    assert parse_workdays("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_workdays("mon,tue,thu") == (0, 1, 3)
    assert parse_workdays("Monday-Wednesday,fri") == (0, 1, 2, 4)
    assert format_workdays((0, 1, 2, 3)) == "mon-thu"
    assert format_workdays((0, 2)) == "mon,wed"
    for bad in ("", "funday", "fri-mon", "mon-tue-wed"):
        with pytest.raises(BadInput):
            parse_workdays(bad)


def test_holiday_calendars_are_checked_against_the_holidays_package() -> None:
    assert check_holidays("de-by") == "DE-BY"
    assert check_holidays("us") == "US"
    with pytest.raises(BadInput, match="unknown public-holiday calendar 'XX'"):
        check_holidays("XX")
    with pytest.raises(BadInput, match="no subdivision ZZ"):
        check_holidays("DE-ZZ")


def test_an_endless_schedule_is_that_pms_problem_not_a_hang() -> None:
    cal = WorkCalendar(PM("Ann", 1), MON)
    with pytest.raises(CannotForecast) as err:
        cal.day(10**9)
    assert (err.value.pm, err.value.reason) == ("Ann", "horizon")
