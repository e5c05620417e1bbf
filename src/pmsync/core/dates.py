"""The one place where dates typed by people are read."""

from __future__ import annotations

import re
from datetime import date, timedelta

from pmsync.errors import BadInput

ACCEPTED = (
    "use YYYY-MM-DD (2027-02-15), a written date (15 Feb 2027, Feb 15 2027), "
    "today, tomorrow, yesterday, +3d, +2w or +1m"
)

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2,4})$")
_RELATIVE = re.compile(r"^([+-])\s*(\d{1,4})\s*([dwm])$", re.IGNORECASE)
_MONTH_WORD = re.compile(
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b\.?", re.IGNORECASE
)
_NAMED = {"today": 0, "tomorrow": 1, "yesterday": -1}


def parse_date(text: str, today: date, what: str = "date") -> date:
    """Read a date the way a seller types it; refuse anything that could mean two days."""
    raw = text.strip()
    lowered = raw.lower()
    if not raw:
        raise BadInput(f"{what} is empty; {ACCEPTED}")
    if lowered in _NAMED:
        return today + timedelta(days=_NAMED[lowered])
    if m := _RELATIVE.match(lowered):
        sign = 1 if m.group(1) == "+" else -1
        n = int(m.group(2)) * sign
        unit = m.group(3).lower()
        if unit == "d":
            return _shift(today, days=n, raw=raw, what=what)
        if unit == "w":
            return _shift(today, days=7 * n, raw=raw, what=what)
        from dateutil.relativedelta import relativedelta

        try:
            return today + relativedelta(months=n)
        except (OverflowError, ValueError):
            raise BadInput(f"{what} '{raw}' is out of range; {ACCEPTED}") from None
    if m := _ISO.match(raw) or _YEAR_FIRST.match(raw):
        return _make(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw, what)
    if m := _NUMERIC.match(raw):
        first, second, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if len(m.group(3)) == 2:
            year += 2000
        if first <= 12 and second <= 12 and first != second:
            raise BadInput(f"{what} '{raw}' is ambiguous (day/month or month/day?); {ACCEPTED}")
        # One reading only: the part above 12 has to be the day.
        day, month = (first, second) if first > 12 else (second, first)
        return _make(year, month, day, raw, what)
    if _MONTH_WORD.search(raw) and re.search(r"\d", raw):
        return _written(raw, today, what)
    raise BadInput(f"cannot read {what} '{raw}'; {ACCEPTED}")


def _shift(today: date, days: int, raw: str, what: str) -> date:
    try:
        return today + timedelta(days=days)
    except OverflowError:
        raise BadInput(f"{what} '{raw}' is out of range; {ACCEPTED}") from None


def _make(year: int, month: int, day: int, raw: str, what: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise BadInput(f"{what} '{raw}' is not a real day; {ACCEPTED}") from None


def _written(raw: str, today: date, what: str) -> date:
    from datetime import datetime

    from dateutil import parser

    try:
        parsed = parser.parse(raw, default=datetime(today.year, 1, 1)).date()
    except (ValueError, OverflowError, parser.ParserError):
        raise BadInput(f"cannot read {what} '{raw}'; {ACCEPTED}") from None
    # "15 Feb" with no year means the next 15 Feb, not one already past.
    if not re.search(r"\b\d{4}\b", raw) and parsed < today:
        return _make(parsed.year + 1, parsed.month, parsed.day, raw, what)
    return parsed


def iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def from_iso(text: str | None) -> date | None:
    return None if not text else date.fromisoformat(text[:10])


def human(d: date | None, with_year: bool = True) -> str:
    """15 Jan 2027: the way a seller reads a date aloud."""
    if d is None:
        return "-"
    return f"{d.day} {d:%b %Y}" if with_year else f"{d.day} {d:%b}"
