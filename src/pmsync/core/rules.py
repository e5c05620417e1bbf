"""The rules a value must keep before it is written (the life cycle is in `lifecycle`)."""

from __future__ import annotations

import math
from datetime import date

from pmsync.core.calendar import HORIZON_YEARS
from pmsync.core.models import SIGNALS, TERM_KINDS
from pmsync.errors import BadInput, LongTimeOff

MAX_HOURS = 100_000.0
# Fewer hours a week than this is a typo (1e-9), and a queue no calendar can finish.
MIN_CAPACITY = 0.5
# Time off longer than a year is a typo (2099 for 2027) unless said to be meant.
LONGEST_TIMEOFF_DAYS = 366


def check_hours(value: float, what: str = "hours", allow_zero: bool = False) -> float:
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise BadInput(f"{what} must be a positive number, not {value:g}")
    if value > MAX_HOURS:
        raise BadInput(f"{what} of {value:g} is more than {MAX_HOURS:,.0f}; check the number")
    return value


def check_range(
    hours: float, low: float | None, high: float | None, names: tuple[str, str] = ("low", "high")
) -> None:
    """`low` <= `hours` <= `high`; `names`: what the caller calls the two bounds."""
    if low is not None:
        check_hours(low, names[0], allow_zero=True)
        if low > hours:
            raise BadInput(f"{names[0]} ({low:g}) is above the estimate ({hours:g})")
    if high is not None:
        check_hours(high, names[1])
        if high < hours:
            raise BadInput(f"{names[1]} ({high:g}) is below the estimate ({hours:g})")


def check_capacity(value: float) -> float:
    if not math.isfinite(value) or value <= 0:
        raise BadInput(f"capacity must be a positive number of hours per week, not {value:g}")
    if value < MIN_CAPACITY:
        raise BadInput(
            f"capacity of {value:g} hours per week is under {MIN_CAPACITY:g}; check the number"
        )
    if value > 168:
        raise BadInput(f"capacity of {value:g} hours per week is more than a week has")
    return value


def check_probability(value: float) -> float:
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise BadInput(f"probability must be a percentage from 0 to 100, not {value:g}")
    return value


def check_money(value: float, what: str) -> float:
    if not math.isfinite(value) or value < 0:
        raise BadInput(f"{what} must be zero or more, not {value:g}")
    return value


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    v = value.strip().lower()
    if v not in choices:
        raise BadInput(f"unknown {what} '{value}'; use one of {', '.join(choices)}")
    return v


def check_signal(value: str) -> str:
    return check_choice(value, SIGNALS, "signal")


def check_term_kind(value: str) -> str:
    return check_choice(value, TERM_KINDS, "term kind")


def check_text(value: str, what: str) -> str:
    v = value.strip()
    if not v:
        raise BadInput(f"{what} must not be empty")
    if "\x00" in v:
        raise BadInput(f"{what} must not contain NUL characters")
    return v


def check_span(start: date, end: date, what: str = "range") -> None:
    if end < start:
        raise BadInput(f"the {what} ends ({end}) before it starts ({start})")


def check_days(value: int, what: str) -> int:
    if value < 0 or value > 3650:
        raise BadInput(f"{what} must be between 0 and 3650 days, not {value}")
    return value


def check_horizon(d: date | None, today: date, what: str) -> date | None:
    """A delivery or start date decades away is a typo, not a plan."""
    if d is not None and d.year > today.year + HORIZON_YEARS:
        raise BadInput(f"{what} {d} is more than {HORIZON_YEARS} years away; check the date")
    return d


def check_past(d: date | None, today: date, what: str) -> date | None:
    """A day something happened (signed, delivered, worked) decades ago is a typo."""
    if d is not None and d.year < today.year - HORIZON_YEARS:
        raise BadInput(f"{what} {d} is more than {HORIZON_YEARS} years ago; check the date")
    return d


def check_worked_on(on: date, today: date) -> None:
    """Hours are logged for work done: not on a day still to come."""
    if on > today:
        raise BadInput(f"hours can't be logged on {on}, after today ({today})")


def check_delivery(on: date, signed_on: date | None) -> None:
    if signed_on is not None and on < signed_on:
        raise BadInput(f"a delivery on {on} comes before the signing ({signed_on})")


def check_start(start: date | None, promised: date | None) -> None:
    if start is not None and promised is not None and start > promised:
        raise BadInput(f"the start {start} is after the promised date {promised}")


def check_timeoff(start: date, end: date, long: bool = False) -> None:
    """An inclusive range of days off: in order, and within a year unless `long`."""
    check_span(start, end, "time off")
    days = (end - start).days + 1
    if days > LONGEST_TIMEOFF_DAYS and not long:
        raise LongTimeOff(start, end, days)
