"""A PM's working days: weekdays they work, less public holidays and time off.

Every working day of a PM has the same hours (capacity / working days per week), so the
scheduler can treat a calendar as a numbered sequence of equal days and work in whole
intervals of it; this module owns the mapping between those numbers and dates.

Hours are counted in integer *units* so that no floating-point drift can move a finish
date: one unit is a thousandth of an hour divided by the PM's working days per week, which
makes a day's hours exactly `capacity * 1000` units.
"""

from __future__ import annotations

import functools
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import date, timedelta
from itertools import compress, cycle, filterfalse

from pmsync.core.models import PM, WEEKDAYS
from pmsync.errors import BadInput, CannotForecast, NoWorkdays

# A date further out than this is a typo, and work that would take longer an input error:
# the one horizon of dates given and of the calendar that schedules them.
HORIZON_YEARS = 50
_CHUNK_DAYS = 366


def parse_workdays(text: str) -> tuple[int, ...]:
    """`mon-fri`, `mon,tue,thu` or `mon-wed,fri` -> weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        if not part:
            continue
        ends = part.split("-")
        if len(ends) > 2 or any(e[:3] not in WEEKDAYS for e in ends):
            raise BadInput(
                f"cannot read working days '{text}'; use mon-fri or a list such as mon,tue,thu"
            )
        first, last = WEEKDAYS.index(ends[0][:3]), WEEKDAYS.index(ends[-1][:3])
        if last < first:
            raise BadInput(f"working days '{text}' run backwards; write them Monday first")
        days.update(range(first, last + 1))
    if not days:
        raise NoWorkdays()
    return tuple(sorted(days))


def format_workdays(days: tuple[int, ...]) -> str:
    if days and list(days) == list(range(days[0], days[-1] + 1)) and len(days) > 2:
        return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
    return ",".join(WEEKDAYS[d] for d in days)


def split_holidays(spec: str) -> tuple[str, str | None]:
    country, _, subdiv = spec.strip().partition("-")
    return country.upper(), (subdiv.upper() or None)


def check_holidays(spec: str) -> str:
    """Normalise a holiday calendar such as `de-by` and refuse one `holidays` doesn't know."""
    country, subdiv = split_holidays(spec)
    try:
        _holiday_set(country, subdiv, 2027)
    except (NotImplementedError, KeyError, ValueError):
        if subdiv:
            raise BadInput(
                f"unknown public-holiday calendar '{spec}': no subdivision {subdiv} "
                f"in country {country}"
            ) from None
        raise BadInput(
            f"unknown public-holiday calendar '{spec}'; use a country code such as US, GB or DE-BY"
        ) from None
    return f"{country}-{subdiv}" if subdiv else country


# Holiday dates already known, by (country, subdivision, year): storage may preload them
# (as ISO strings, read only when a year is needed) so that a forecast need not import and
# run the `holidays` package.
KNOWN_HOLIDAYS: dict[tuple[str, str | None, int], frozenset[date]] = {}
CACHED_HOLIDAYS: dict[tuple[str, str | None, int], list[str]] = {}
NEW_HOLIDAYS: set[tuple[str, str | None, int]] = set()


def _holiday_set(country: str, subdiv: str | None, year: int) -> frozenset[date]:
    key = (country, subdiv, year)
    known = KNOWN_HOLIDAYS.get(key)
    if known is None and key in CACHED_HOLIDAYS:
        known = frozenset(date.fromisoformat(d) for d in CACHED_HOLIDAYS[key])
        KNOWN_HOLIDAYS[key] = known
    if known is None:
        import holidays

        known = frozenset(holidays.country_holidays(country, subdiv=subdiv, years=year).keys())
        KNOWN_HOLIDAYS[key] = known
        NEW_HOLIDAYS.add(key)
    return known


def public_holidays(spec: str | None, year: int) -> frozenset[date]:
    if not spec:
        return frozenset()
    country, subdiv = split_holidays(spec)
    return _holiday_set(country, subdiv, year)


# One date object per day for every calendar: the forecasts of a hundred thousand deals
# name the same few hundred days.
_day_of = functools.lru_cache(maxsize=1 << 16)(date.fromordinal)


@functools.lru_cache(maxsize=1024)
def _working_days(
    first: int, end: int, workdays: frozenset[int], holidays: str | None
) -> array[int]:
    """The ordinals from `first` up to `end` of the days worked by the week's pattern and
    not public holidays: a thousand PMs' calendars start on the same day and most share a
    week and a country, so each chunk is worked out once for all of them."""
    off = {
        d.toordinal()
        for y in range(date.fromordinal(first).year, date.fromordinal(end).year + 1)
        for d in public_holidays(holidays, y)
    }
    # date.fromordinal(1) is a Monday, so (ordinal - 1) % 7 is the weekday: the week's
    # pattern, started on `first`'s weekday, picks the working days at C speed.
    week = [(first - 1 + i) % 7 in workdays for i in range(7)]
    days = compress(range(first, end), cycle(week))
    return array("i", filterfalse(off.__contains__, days) if off else days)


class WorkCalendar:
    """The working days of one PM from `first` on, numbered 0, 1, 2, ..."""

    def __init__(self, pm: PM, first: date) -> None:
        self.pm = pm
        self.first = first
        self.day_units = round(pm.capacity * 1000)
        self.hour_units = len(pm.workdays)  # units in a thousandth of an hour
        self._workdays = frozenset(pm.workdays)
        self._off = sorted((t.start, t.end) for t in pm.timeoff)
        # Day ordinals (< 2**22) in a compact array: a thousand PMs' calendars stay small.
        self._days = array("i")
        self._next = first
        self._limit = date(min(first.year + HORIZON_YEARS, 9998), 12, 31)

    # -- hours <-> units -------------------------------------------------------------
    def units(self, hours: float) -> int:
        return round(hours * 1000) * self.hour_units

    # -- the sequence of working days ------------------------------------------------
    def is_working(self, d: date) -> bool:
        return (
            d.weekday() in self._workdays
            and d not in public_holidays(self.pm.holidays, d.year)
            and not any(start <= d <= end for start, end in self._off)
        )

    def _extend(self) -> None:
        if self._next > self._limit:
            # Work that never ends (a huge effort, time off to 2099): this PM's queue alone.
            raise CannotForecast(self.pm.name, "horizon")
        end = self._next + timedelta(days=_CHUNK_DAYS)
        days = _working_days(
            self._next.toordinal(), end.toordinal(), self._workdays, self.pm.holidays
        )
        # Day ordinals are plain ints: a set lookup per day instead of date arithmetic.
        off: set[int] = set()
        for start, stop in self._off:
            if stop >= self._next and start < end:
                off.update(range(start.toordinal(), stop.toordinal() + 1))
        self._days.extend(array("i", filterfalse(off.__contains__, days)) if off else days)
        self._next = end

    def day(self, index: int) -> date:
        days = self._days
        while index >= len(days):
            self._extend()
        # The shared date object of that day: a list of them per PM would hold a thousand
        # PMs' years of days at once.
        return _day_of(days[index])

    def index_from(self, d: date) -> int:
        """Number of the first working day on or after `d`."""
        if d <= self.first:
            return 0
        o = d.toordinal()
        while not self._days or self._days[-1] < o:
            self._extend()
        return bisect_left(self._days, o)

    def count_through(self, d: date) -> int:
        """How many working days lie in [first, d] (counted no further than the horizon)."""
        if d < self.first:
            return 0
        d = min(d, self._limit)
        while self._next <= d:
            self._extend()
        return bisect_right(self._days, d.toordinal())

    def count_each(self, days: Iterable[date]) -> list[int]:
        """`count_through` of each day, in the order given."""
        wanted = list(days)
        if not wanted:
            return []
        self.count_through(max(wanted))  # the calendar reaches the furthest once
        first, limit, known = self.first, self._limit, self._days
        return [0 if d < first else bisect_right(known, min(d, limit).toordinal()) for d in wanted]

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b] (negative when b is before a): the contract's slack."""
        if a == b:
            return 0
        if b < a:
            return -self.working_days_between(b, a)
        if a >= self.first:
            return self.count_through(b) - self.count_through(a)
        # A promise long past: count back at most ten years (beyond that the number of days
        # late says nothing more, and each day would cost a holiday lookup).
        a = max(a, self.first.replace(year=self.first.year - 10, day=min(self.first.day, 28)))
        # Dates before the calendar's start (a promise already past) are rare: count them.
        one, n, d = timedelta(days=1), 0, a + timedelta(days=1)
        while d < self.first and d <= b:
            n += self.is_working(d)
            d += one
        return n + (self.count_through(b) if b >= self.first else 0)

    def add_working_days(self, d: date, n: int) -> date:
        """The working day n working days after d (d itself need not be one)."""
        return self.day(self.count_through(d) + n - 1) if n > 0 else d
