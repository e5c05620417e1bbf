"""Records out as CSV or JSON, and the calendar file."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta, timezone
from typing import IO, TYPE_CHECKING, Any

from pmsync.present.output import printable

if TYPE_CHECKING:
    from pmsync.service.exchange import CalendarEvent

# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Defuse spreadsheet formulas in text cells (`=HYPERLINK(...)` -> `'=HYPERLINK(...)`);
    `pmsync import` strips the quote again, so exports still round-trip."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
        n += 1
    return n


def write_json(
    out: IO[str], tables: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]], single: bool
) -> None:
    data = {
        name: [dict(zip(cols, r, strict=True)) for r in rows]
        for name, (cols, rows) in tables.items()
    }
    json.dump(next(iter(data.values())) if single else data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_database(
    out: IO[str], version: int, tables: Mapping[str, tuple[Sequence[str], Iterable[Sequence[Any]]]]
) -> dict[str, int]:
    """The whole-database document, one record per line, written as the rows come (a big
    team's database is never held in memory). Returns the records written per table."""
    from pmsync.present.output import to_json

    counts = {}
    out.write(f'{{\n  "format": "pmsync",\n  "schema": {int(version)}')
    for name, (cols, rows) in tables.items():
        out.write(f',\n  "{name}": [')
        n = 0
        for row in rows:
            out.write(",\n    " if n else "\n    ")
            out.write(to_json(dict(zip(cols, row, strict=True)), indent=None))
            n += 1
        out.write("\n  ]" if n else "]")
        counts[name] = n
    out.write("\n}\n")
    return counts


def calendar_file(events: Sequence[CalendarEvent], now: datetime | None = None) -> bytes:
    """An RFC 5545 calendar of all-day events, with a VALARM `remind_days` before where
    that is set."""
    from icalendar import Alarm, Calendar, Event

    now = now or datetime.now(timezone.utc)
    cal = Calendar()
    cal.add("prodid", "-//pmsync//pmsync//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "pmsync: promises and special terms")
    for e in events:
        ev = Event()
        ev.add("uid", e.uid)
        ev.add("sequence", e.sequence)
        # The stamp of the event's last change: an unchanged event looks unchanged.
        ev.add("dtstamp", datetime.fromisoformat(e.stamp) if e.stamp else now)
        day: date = e.day
        ev.add("dtstart", day)
        ev.add("dtend", day + timedelta(days=1))
        ev.add("summary", printable(_flat(e.summary)))
        ev.add("description", printable(e.description))
        ev.add("transp", "TRANSPARENT")
        if e.remind_days:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Reminder: {printable(_flat(e.summary))}")
            alarm.add("trigger", timedelta(days=-int(e.remind_days)))
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal.to_ical()


def _flat(text: str) -> str:
    """A title on one line: the line breaks a person typed become spaces."""
    return " ".join(text.split())
