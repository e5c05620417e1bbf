"""Every query pmsync makes, speaking in the core's types. Nothing above this writes SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from datetime import date
from typing import TYPE_CHECKING, Any

from pmsync.core.dates import from_iso, iso
from pmsync.core.lifecycle import OPEN_STAGES, stage
from pmsync.core.models import (
    PM,
    Actual,
    Correction,
    Deal,
    Estimate,
    PromiseChange,
    Term,
    TimeOff,
    Update,
    WorklogEntry,
    overrun,
)
from pmsync.errors import UnknownDeal, UnknownPM, UnknownRecord, UnknownTerm
from pmsync.storage.backend import RECORD_TABLES

if TYPE_CHECKING:
    from pmsync.core.history import History, HistoryRow
    from pmsync.core.report import KeptRate, PromiseRecord
    from pmsync.core.settings import Settings
    from pmsync.storage.backend import Backend, Rows, Step

# A deal's own columns, in the order of `Deal`'s fields: the SELECT below, the batch that
# writes a deal, the import's map and the export are all built from it.
DEAL_COLUMNS = (
    "title",
    "client",
    "seller",
    "kind",
    "stage",
    "value",
    "probability",
    "promised",
    "start",
    "pm",
    "stakeholder",
    "external_id",
    "signed_on",
    "delivered_on",
    "actual_hours",
    "lost_reason",
)

# Explicit columns in a fixed order: deals are read by the ten thousand, straight from tuples.
# The hours logged on deal `d`, and its latest estimate `e` (joined on this condition).
_LOGGED = "coalesce((SELECT sum(hours) FROM worklog WHERE deal_id = d.id), 0.0)"
_LATEST_ESTIMATE = "e.id = (SELECT max(id) FROM estimates WHERE deal_id = d.id)"
_DEAL_SELECT = (
    "SELECT d.id, "
    + ", ".join("p.name" if c == "pm" else f"d.{c}" for c in DEAL_COLUMNS)
    + f""", e.id, e.hours, e.low, e.high, {_LOGGED}
FROM deals d
LEFT JOIN pms p ON p.id = d.pm_id
LEFT JOIN estimates e ON {_LATEST_ESTIMATE}
"""
)
# `_deal` builds a Deal by position from that SELECT: it must name Deal's fields in order.
_fields = [f.name for f in fields(Deal)]
if _fields[: len(DEAL_COLUMNS) + 1] != ["id", *DEAL_COLUMNS] or _fields[-2:] != [
    "estimate",
    "logged_hours",
]:  # pragma: no cover - a development error, caught by importing the module
    raise AssertionError("storage.store.DEAL_COLUMNS no longer matches core.models.Deal")
del _fields


# Delivered deals as history sees them: the estimate at signing, else the first one.
_DELIVERED = """
FROM deals d
LEFT JOIN pms p ON p.id = d.pm_id
LEFT JOIN estimates s ON s.id = coalesce(
    d.signing_estimate_id, (SELECT min(id) FROM estimates WHERE deal_id = d.id))
WHERE d.stage = 'delivered'
"""
_ACTUAL_SELECT = (
    "SELECT d.id, d.title, d.kind, p.name, d.delivered_on, s.hours, d.actual_hours,"
    " s.low IS NOT NULL OR s.high IS NOT NULL" + _DELIVERED
)
# The same deals as `History` reads them (`HistoryRow`); ids keep the order samples pick in.
_HISTORY_SELECT = (
    "SELECT p.name, d.kind, s.hours, d.actual_hours, s.low IS NOT NULL OR s.high IS NOT NULL"
    + _DELIVERED
    + " AND d.actual_hours IS NOT NULL ORDER BY d.id"
)


# Stored stage words to the life cycle's members.
_STAGE = {s: stage(s) for s in ("pipeline", "signed", "active", "delivered", "lost")}


class _Same(dict):
    """`same[v]` is the first value equal to v met in this load (None stays None)."""

    def __missing__(self, value: Any) -> Any:
        self[value] = value
        return value


class _Dates(dict):
    """`dates[text]` is the date an ISO text names, one object per distinct text."""

    def __missing__(self, text: str | None) -> date | None:
        found = self[text] = date.fromisoformat(text[:10]) if text else None
        return found


class _Shared:
    """One object per distinct value across a load: a hundred thousand deals name the same
    few stages, PMs, clients and dates, and each row would otherwise hold its own copies.
    Lookups are dict subscripts, so a value already seen costs no Python call."""

    __slots__ = ("date", "number", "text")

    def __init__(self) -> None:
        self.text = _Same()
        # Numbers come from REAL columns, which read back as floats only: 1 and 1.0 never
        # meet here, so an equal value is also one of the same type.
        self.number = _Same()
        self.date = _Dates()


def _deal(r: Sequence[Any], same: _Shared | None = None) -> Deal:
    same = same or _Shared()
    text, number, day = same.text, same.number, same.date
    # The latest estimate's numbers: who made it and why is read with `estimates()`.
    estimate = (
        None
        if r[17] is None
        else Estimate(r[0], number[r[18]], number[r[19]], number[r[20]], id=r[17])
    )
    return Deal(
        r[0],
        r[1],
        text[r[2]],
        text[r[3]],
        text[r[4]],
        _STAGE[r[5]],
        r[6],
        number[r[7]],
        day[r[8]],
        day[r[9]],
        text[r[10]],
        text[r[11]],
        r[12],
        day[r[13]],
        day[r[14]],
        r[15],
        r[16],
        estimate,
        r[21],
    )


def _actual(r: Sequence[Any], same: _Shared) -> Actual:
    return Actual(
        r[0], r[1], same.text[r[2]], same.text[r[3]], same.date[r[4]], r[5], r[6], bool(r[7])
    )


# Explicit columns, read as tuples: the report reads tens of thousands of terms and updates.
_TERM_SELECT = (  # in `Term`'s order
    "SELECT id, deal_id, text, due, kind, amount, remind_days, status, acknowledged_by,"
    " acknowledged_at FROM terms"
)
_UPDATE_SELECT = "SELECT id, deal_id, text, signal, author, created FROM updates"  # `Update`'s


def _term(r: Sequence[Any], same: _Shared | None = None) -> Term:
    same = same or _Shared()
    text = same.text
    day = same.date
    return Term(r[0], r[1], r[2], day[r[3]], text[r[4]], r[5], r[6], text[r[7]], text[r[8]], r[9])


def _update_record(r: Sequence[Any], same: _Shared | None = None) -> Update:
    same = same or _Shared()
    return Update(r[0], r[1], r[2], same.text[r[3]], same.text[r[4]], r[5])


# What makes an open deal load on its PM, read for check-date without a `Deal` per row:
# PM, id, title, kind, stage, probability, promised, start, the latest estimate's hours, low
# and high, and the hours logged. Deals without a PM or an estimate are no load.
_LOAD_SELECT = f"""
SELECT p.name, d.id, d.title, d.kind, d.stage, d.probability, d.promised, d.start,
       e.hours, e.low, e.high, {_LOGGED}
FROM deals d
JOIN pms p ON p.id = d.pm_id
JOIN estimates e ON {_LATEST_ESTIMATE}
"""
LoadRow = tuple[
    str, int, str, "str | None", str, "float | None", "date | None", "date | None", float,
    "float | None", "float | None", float,
]  # fmt: skip

_ALL_TIMEOFF: tuple[str, tuple] = ("SELECT * FROM timeoff ORDER BY start", ())
_ALL_PMS: tuple[str, tuple] = (
    "SELECT * FROM pms WHERE archived IS NULL ORDER BY name COLLATE NOCASE",
    (),
)
_EVERY_PM: tuple[str, tuple] = ("SELECT * FROM pms ORDER BY name COLLATE NOCASE", ())
_SETTINGS: tuple[str, tuple] = ("SELECT key, value FROM settings", ())


def _deals_query(
    stages: Sequence[str] | None = None,
    seller: str | None = None,
    pm_id: int | None = None,
    client: str | None = None,
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if stages:
        where.append(f"d.stage IN ({','.join('?' * len(stages))})")
        params += list(stages)
    if seller:
        where.append("d.seller = ? COLLATE NOCASE")
        params.append(seller)
    if pm_id is not None:
        where.append("d.pm_id = ?")
        params.append(pm_id)
    if client:
        where.append("d.client = ? COLLATE NOCASE")
        params.append(client)
    sql = _DEAL_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.id"
    return sql, params


def _dicts(rows: Rows) -> Iterator[dict[str, Any]]:
    cols = [c[0] for c in rows.description]
    for r in rows:
        yield dict(zip(cols, r, strict=True))


class Store:
    """The pmsync database in the core's types: reads, and one batch of writes per command.

    Reads run inside `backend.snapshot()`; a write command reads what it needs, decides in
    the core, builds a `Batch` (storage.batch) and hands it to `apply`."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def close(self) -> None:
        self.backend.close()

    def snapshot(self) -> AbstractContextManager[None]:
        """Reads inside see one consistent state of the database."""
        return self.backend.snapshot()

    def apply(self, steps: Sequence[Step], dry_run: bool = False) -> list[list[tuple]]:
        return self.backend.apply(steps, dry_run)

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        return list(self._each(sql, params))

    def _each(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Iterator[dict]:
        """Rows as dicts one at a time, for tables read whole."""
        return _dicts(self.backend.query(sql, params))

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.backend.query(sql, params).fetchone()
        return None if row is None else row[0]

    def holds_records(self) -> bool:
        """True once anything a person recorded is in the database."""
        return bool(self.scalar(f"SELECT {ANY_RECORD}"))

    def is_demo(self) -> bool:
        return self.scalar("SELECT value FROM settings WHERE key = ?", (DEMO_MARK,)) is not None

    # -- settings ----------------------------------------------------------------------
    def forecast_loads(
        self, stages: Sequence[str], pm: str | None = None
    ) -> tuple[list[PM], list[LoadRow], Iterable[HistoryRow], Settings]:
        """`forecast_inputs` for check-date: each open deal as the numbers that make it
        load (no `Deal` made of the ten thousands), with its PM and title; with `pm`,
        only that PM's deals. History comes as rows that may be read as they are iterated:
        iterate them inside the same snapshot."""
        from pmsync.core.settings import from_stored

        marks = ",".join("?" * len(stages))
        timeoff, pms, loads, settings, history = self.backend.query_many(
            [
                _ALL_TIMEOFF,
                _ALL_PMS,
                (
                    _LOAD_SELECT
                    + f" WHERE d.stage IN ({marks})"
                    + (" AND p.name = ? COLLATE NOCASE" if pm else "")
                    + " ORDER BY d.id",
                    [*stages, *([pm] if pm else [])],
                ),
                _SETTINGS,
                (_HISTORY_SELECT, ()),  # last: it may be read as it is iterated
            ]
        )
        day = _Dates()
        rows = [
            (pm, i, title, kind, stage, prob, day[promised], day[start], hours, low, high, logged)
            for pm, i, title, kind, stage, prob, promised, start, hours, low, high, logged in loads
        ]
        return self._pms(timeoff, pms), rows, history, from_stored(dict(settings))

    def settings(self) -> Settings:
        from pmsync.core.settings import from_stored

        return from_stored(dict(self.backend.query(*_SETTINGS)))

    # -- PMs ---------------------------------------------------------------------------
    def pm_names(self) -> list[str]:
        """The PMs who take work (archived ones left)."""
        return [
            r["name"]
            for r in self._rows("SELECT name FROM pms WHERE archived IS NULL ORDER BY name")
        ]

    def _pm_row(self, name: str) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM pms WHERE name = ? COLLATE NOCASE", (name,))
        if not rows:
            raise UnknownPM(name, self.pm_names())
        return rows[0]

    def _to_pm(self, row: dict[str, Any], timeoff: Sequence[TimeOff]) -> PM:
        from pmsync.core.calendar import parse_workdays

        return PM(
            id=row["id"],
            name=row["name"],
            email=row["email"],
            capacity=row["capacity"],
            workdays=parse_workdays(row["workdays"]),
            holidays=row["holidays"],
            timeoff=tuple(timeoff),
            archived=row["archived"],
        )

    def pm(self, name: str) -> PM:
        row = self._pm_row(name)
        return self._to_pm(row, self._timeoff(row["id"]))

    def pms(self, archived: bool = False) -> list[PM]:
        """The PMs who take work; with `archived`, those who left too."""
        return self._pms(
            *self.backend.query_many([_ALL_TIMEOFF, _EVERY_PM if archived else _ALL_PMS])
        )

    def deal_count(self, pm_id: int) -> int:
        """How many deals name this PM, in any stage."""
        return int(self.scalar("SELECT count(*) FROM deals WHERE pm_id = ?", (pm_id,)))

    def _pms(self, timeoff: Rows, pms: Rows) -> list[PM]:
        off: dict[int, list[TimeOff]] = {}
        for r in _dicts(timeoff):
            off.setdefault(r["pm_id"], []).append(_timeoff(r))
        return [self._to_pm(r, off.get(r["id"], ())) for r in _dicts(pms)]

    def forecast_inputs(
        self, stages: Sequence[str] | None, history: Callable[[], History] | None = None
    ) -> tuple[list[PM], list[Deal], History | Callable[[], History], Settings]:
        """What the forecaster needs (PMs, deals in `stages`, history, settings), in one
        read: one request on a cluster. `stages` None: no deals (the caller has them);
        `history`: how the caller gets it (`history_aside`), else it is read here."""
        from pmsync.core.history import History
        from pmsync.core.settings import from_stored

        timeoff, pms, deals, settings, rows = self.backend.query_many(
            [
                _ALL_TIMEOFF,
                _ALL_PMS,
                _deals_query(stages) if stages is not None else ("SELECT 1 WHERE 0", []),
                _SETTINGS,
                # Last: it may be read as it is iterated.
                (_HISTORY_SELECT if history is None else "SELECT 1 WHERE 0", ()),
            ]
        )
        same = _Shared()
        return (
            self._pms(timeoff, pms),
            [_deal(r, same) for r in deals],
            History.from_rows(rows) if history is None else history,
            from_stored(dict(settings)),
        )

    def _timeoff(self, pm_id: int) -> list[TimeOff]:
        return [
            _timeoff(r)
            for r in self._rows("SELECT * FROM timeoff WHERE pm_id = ? ORDER BY start", (pm_id,))
        ]

    def timeoff_entry(self, timeoff_id: int) -> TimeOff:
        return _timeoff(self._rows("SELECT * FROM timeoff WHERE id = ?", (timeoff_id,))[0])

    def pm_exists(self, name: str) -> bool:
        return bool(self._rows("SELECT 1 FROM pms WHERE name = ? COLLATE NOCASE", (name,)))

    def open_deal_ids(self, pm_id: int) -> list[int]:
        marks = ",".join("?" * len(OPEN_STAGES))
        return [
            r["id"]
            for r in self._rows(
                f"SELECT id FROM deals WHERE pm_id = ? AND stage IN ({marks})",
                (pm_id, *OPEN_STAGES),
            )
        ]

    # -- deals ---------------------------------------------------------------------------
    def deal(self, deal_id: int) -> Deal:
        rows = self.backend.query(_DEAL_SELECT + " WHERE d.id = ?", (deal_id,)).fetchall()
        if not rows:
            raise UnknownDeal(deal_id)
        return _deal(rows[0])

    def deals(
        self,
        stages: Sequence[str] | None = None,
        seller: str | None = None,
        pm: str | None = None,
        client: str | None = None,
    ) -> list[Deal]:
        pm_id = self._pm_row(pm)["id"] if pm else None
        same = _Shared()
        sql, params = _deals_query(stages, seller, pm_id, client)
        return [_deal(r, same) for r in self.backend.query(sql, params)]

    def external_id_taken(self, external_id: str, other_than: int | None = None) -> bool:
        return bool(
            self._rows(
                "SELECT 1 FROM deals WHERE external_id = ? AND id IS NOT ?",
                (external_id, other_than),
            )
        )

    def history_aside(self) -> Callable[[], History]:
        """The history, read by another process (on this snapshot) while this one reads on,
        where that pays; call first in a snapshot, and the function returned inside it."""
        started = self.backend.aside("history")

        def history() -> History:
            found = started() if started is not None else None
            return found if found is not None else self.history()

        return history

    def history(self) -> History:
        """What every delivered deal teaches the forecast. Only the numbers are read, and
        straight from the cursor: a big team has hundreds of thousands of them."""
        from pmsync.core.history import History

        return History.from_rows(self.backend.query(_HISTORY_SELECT))

    def deliveries(self, first: date, last: date, limit: int | None = None) -> list[Actual]:
        """Deals delivered from `first` to `last` with an estimate and actual hours, newest
        first: what the report lists as lessons."""
        sql = (
            _ACTUAL_SELECT
            + """
              AND d.delivered_on BETWEEN ? AND ? AND d.actual_hours IS NOT NULL AND s.hours > 0
            ORDER BY d.delivered_on DESC, d.id DESC LIMIT ?
        """
        )
        rows = self.backend.query(sql, (iso(first), iso(last), -1 if limit is None else limit))
        same = _Shared()
        return [_actual(r, same) for r in rows]

    def overruns_between(self, first: date, last: date) -> list[float]:
        """Actual over estimate (`History`'s ratio) of the deals delivered from `first` to
        `last`, in no particular order."""
        rows = self.backend.query(
            "SELECT d.actual_hours, s.hours"
            + _DELIVERED
            + " AND d.actual_hours IS NOT NULL AND d.delivered_on BETWEEN ? AND ?",
            (iso(first), iso(last)),
        )
        return [r for r in (overrun(actual, hours) for actual, hours in rows) if r is not None]

    def promise_records(self, first: date, last: date) -> list[PromiseRecord]:
        """Deals delivered from `first` to `last` that had a promise, each with the promise
        as first made (the first link of its history) and how often it moved."""
        from pmsync.core.report import PromiseRecord

        rows = self.backend.query(
            """
            SELECT d.id, d.title, d.client, d.seller, p.name, d.promised, d.delivered_on,
                   (SELECT count(*) FROM promise_history h WHERE h.deal_id = d.id),
                   (SELECT coalesce(h.old, h.new) FROM promise_history h
                    WHERE h.deal_id = d.id ORDER BY h.id LIMIT 1)
            FROM deals d LEFT JOIN pms p ON p.id = d.pm_id
            WHERE d.stage = 'delivered' AND d.promised IS NOT NULL
              AND d.delivered_on BETWEEN ? AND ?
            ORDER BY d.delivered_on, d.id
            """,
            (iso(first), iso(last)),
        )
        same = _Shared()
        day = same.date
        return [
            PromiseRecord(
                i,
                title,
                client,
                same.text[seller],
                same.text[pm],
                day[promised],
                day[first_made or promised],
                moves,
                day[delivered],
            )
            for i, title, client, seller, pm, promised, delivered, moves, first_made in rows
        ]

    def promise_counts(self, first: date, last: date) -> list[KeptRate]:
        """How the promises of deals delivered from `first` to `last` fared, counted per
        seller and PM pair (`who` is the seller, NUL, the PM): delivered, on time as the
        promise stood, on time as first made (the first link of its history), and moves."""
        from pmsync.core.report import KeptRate

        rows = self.backend.query(
            """
            SELECT coalesce(seller, ''), coalesce(pm, ''), count(*), sum(on_time),
                   sum(on_time_first), sum(moves)
            FROM (
                SELECT d.seller, p.name AS pm, d.delivered_on <= d.promised AS on_time,
                       d.delivered_on <= coalesce(
                           (SELECT coalesce(h.old, h.new) FROM promise_history h
                            WHERE h.deal_id = d.id ORDER BY h.id LIMIT 1), d.promised
                       ) AS on_time_first,
                       (SELECT count(*) FROM promise_history h WHERE h.deal_id = d.id) AS moves
                FROM deals d LEFT JOIN pms p ON p.id = d.pm_id
                WHERE d.stage = 'delivered' AND d.promised IS NOT NULL
                  AND d.delivered_on BETWEEN ? AND ?
            )
            GROUP BY 1, 2 ORDER BY 1, 2
            """,
            (iso(first), iso(last)),
        )
        return [
            KeptRate(f"{seller}\0{pm}", int(n), int(kept), int(first_kept), int(moves))
            for seller, pm, n, kept, first_kept, moves in rows
        ]

    def lost_between(self, first: date, last: date) -> list[Deal]:
        sql = _DEAL_SELECT + " WHERE d.stage = 'lost' AND d.lost_on BETWEEN ? AND ? ORDER BY d.id"
        same = _Shared()
        return [_deal(r, same) for r in self.backend.query(sql, (iso(first), iso(last)))]

    def terms_closed_between(self, first: date, last: date) -> list[Term]:
        same = _Shared()
        return [
            _term(r, same)
            for r in self.backend.query(
                _TERM_SELECT + " WHERE status != 'open' AND closed_on BETWEEN ? AND ? "
                "ORDER BY closed_on, id",
                (iso(first), iso(last)),
            )
        ]

    def last_logged(self) -> dict[int, date]:
        """The last day hours were logged on each active deal."""
        return {
            deal_id: date.fromisoformat(day)
            for deal_id, day in self.backend.query(
                "SELECT w.deal_id, max(w.on_date) FROM worklog w "
                "JOIN deals d ON d.id = w.deal_id WHERE d.stage = 'active' GROUP BY w.deal_id"
            )
        }

    def deals_by_id(self, ids: Sequence[int]) -> list[Deal]:
        found: list[Deal] = []
        same = _Shared()
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            sql = _DEAL_SELECT + f" WHERE d.id IN ({','.join('?' * len(chunk))})"
            found += [_deal(r, same) for r in self.backend.query(sql, chunk)]
        return found

    def promise_history(self, deal_id: int) -> list[PromiseChange]:
        return [
            PromiseChange(deal_id, from_iso(r["old"]), from_iso(r["new"]), r["changed"])
            for r in self._rows(
                "SELECT * FROM promise_history WHERE deal_id = ? ORDER BY id", (deal_id,)
            )
        ]

    # -- estimates and worklog ------------------------------------------------------------
    def estimates(self, deal_id: int, only: int | None = None) -> list[Estimate]:
        sql = "SELECT * FROM estimates WHERE deal_id = ?" + (" AND id = ?" if only else "")
        params = (deal_id, only) if only else (deal_id,)
        return [
            Estimate(
                id=r["id"],
                deal_id=r["deal_id"],
                hours=r["hours"],
                low=r["low"],
                high=r["high"],
                author=r["author"],
                note=r["note"],
                created=r["created"],
            )
            for r in self._rows(sql + " ORDER BY id", params)
        ]

    def worklog_entry(self, entry_id: int) -> WorklogEntry:
        rows = self._rows("SELECT * FROM worklog WHERE id = ?", (entry_id,))
        if not rows:
            raise UnknownRecord("worklog entry", entry_id)
        return _entry(rows[0])

    def worklog_entries(
        self, deal_id: int | None = None, pm_id: int | None = None, since: date | None = None
    ) -> list[WorklogEntry]:
        """Worklog entries, by day: of one deal, of one PM's deals, from a day on."""
        where: list[str] = []
        params: list[Any] = []
        if deal_id is not None:
            self.deal(deal_id)
            where.append("w.deal_id = ?")
            params.append(deal_id)
        if pm_id is not None:
            where.append("d.pm_id = ?")
            params.append(pm_id)
        if since is not None:
            where.append("w.on_date >= ?")
            params.append(iso(since))
        sql = "SELECT w.* FROM worklog w JOIN deals d ON d.id = w.deal_id" + (
            " WHERE " + " AND ".join(where) if where else ""
        )
        return [_entry(r) for r in self._each(sql + " ORDER BY w.on_date, w.id", params)]

    def corrections(self, deal_id: int) -> list[Correction]:
        return [
            Correction(
                r["deal_id"],
                r["record"],
                r["record_id"],
                r["field"],
                r["old"],
                r["new"],
                r["changed"],
            )
            for r in self._rows(
                "SELECT * FROM corrections WHERE deal_id = ? ORDER BY id", (deal_id,)
            )
        ]

    def worklog(self, deal_id: int, only: int | None = None) -> list[WorklogEntry]:
        sql = "SELECT * FROM worklog WHERE deal_id = ?" + (" AND id = ?" if only else "")
        params = (deal_id, only) if only else (deal_id,)
        return [_entry(r) for r in self._rows(sql + " ORDER BY on_date, id", params)]

    # -- terms -------------------------------------------------------------------------
    def term(self, term_id: int) -> Term:
        rows = list(self.backend.query(_TERM_SELECT + " WHERE id = ?", (term_id,)))
        if not rows:
            raise UnknownTerm(term_id)
        return _term(rows[0])

    def terms(self, deal_id: int | None = None, open_only: bool = False) -> list[Term]:
        where: list[str] = []
        params: list[Any] = []
        if deal_id is not None:
            self.deal(deal_id)
            where.append("deal_id = ?")
            params.append(deal_id)
        if open_only:
            where.append("status = 'open'")
        sql = _TERM_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        same = _Shared()
        return [_term(r, same) for r in self.backend.query(sql + " ORDER BY due, id", params)]

    # -- updates -------------------------------------------------------------------------
    def update(self, update_id: int) -> Update:
        rows = list(self.backend.query(_UPDATE_SELECT + " WHERE id = ?", (update_id,)))
        if not rows:
            raise UnknownRecord("update", update_id)
        return _update_record(rows[0])

    def updates(
        self, deal_id: int | None = None, since: date | None = None, signal: str | None = None
    ) -> list[Update]:
        where: list[str] = []
        params: list[Any] = []
        if deal_id is not None:
            self.deal(deal_id)
            where.append("deal_id = ?")
            params.append(deal_id)
        if since is not None:
            where.append("created >= ?")
            params.append(iso(since))
        if signal:
            where.append("signal = ?")
            params.append(signal)
        sql = _UPDATE_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        same = _Shared()
        rows = self.backend.query(sql + " ORDER BY created, id", params)
        return [_update_record(r, same) for r in rows]

    # -- what the importer and the calendar compare against ------------------------------
    def deal_rows(self, columns: Sequence[str]) -> Iterator[tuple]:
        """Every deal's stored values of `columns` (deals' own columns, `pm_id` included)."""
        return iter(self.backend.query(f"SELECT {', '.join(columns)} FROM deals"))

    def latest_estimate_hours(self) -> dict[int, float]:
        return dict(
            self.backend.query(
                "SELECT deal_id, hours FROM estimates WHERE id IN "
                "(SELECT max(id) FROM estimates GROUP BY deal_id)"
            )
        )

    def pm_ids(self) -> dict[str, tuple[int, str]]:
        """Lower-cased name -> (id, name)."""
        return {n.lower(): (i, n) for i, n in self.backend.query("SELECT id, name FROM pms")}

    def calendar_events(self) -> dict[str, tuple[str, int, str]]:
        """key -> (uid, sequence, fingerprint) of every event exported before."""
        return {
            k: (u, s, f)
            for k, u, s, f in self.backend.query(
                "SELECT key, uid, sequence, fingerprint FROM calendar_events"
            )
        }

    def columns(self, table: str) -> list[str]:
        """A table's columns, as this pmsync's schema has them."""
        return [r[1] for r in self.backend.query(f"PRAGMA table_info({table})")]

    def dump(self, table: str) -> tuple[list[str], Iterator[tuple]]:
        """Every row of one of DATABASE_TABLES, every column, in a fixed order."""
        order = _KEYED_BY_TEXT.get(table, "id")
        cur = self.backend.query(f'SELECT * FROM {table} ORDER BY "{order}"')
        return [c[0] for c in cur.description], iter(cur)

    def export_rows(self, table: str) -> tuple[list[str], Iterator[tuple]]:
        cur = self.backend.query(_EXPORT_SQL[table])
        return [c[0] for c in cur.description], iter(cur)


# The settings row that marks a database the demo built (no team setting has this name).
DEMO_MARK = "demo_database"
# Every table a person's data lives in, in the order a whole database is loaded (each
# table's references before it; a deal and its signing estimate are checked at commit).
DATABASE_TABLES = (
    "settings",
    "pms",
    "timeoff",
    "deals",
    "estimates",
    "worklog",
    "terms",
    "updates",
    "promise_history",
    "corrections",
    "calendar_events",
)
_KEYED_BY_TEXT = {"settings": "key", "calendar_events": "key"}
# True once anything a person recorded is in the database (an SQL condition).
ANY_RECORD = "(" + " OR ".join(f"EXISTS (SELECT 1 FROM {t})" for t in RECORD_TABLES) + ")"
EXPORT_TABLES = ("deals", "pms", "estimates", "terms", "updates", "worklog")
_EXPORT_SQL = {
    "deals": "SELECT d.id, "
    + ", ".join("p.name AS pm" if c == "pm" else f"d.{c}" for c in DEAL_COLUMNS)
    + """, (SELECT hours FROM estimates WHERE id =
                   (SELECT max(id) FROM estimates WHERE deal_id = d.id)) AS hours
        FROM deals d LEFT JOIN pms p ON p.id = d.pm_id ORDER BY d.id""",
    "pms": """
        SELECT p.id, p.name, p.email, p.capacity, p.workdays, p.holidays, p.archived,
               (SELECT group_concat(start || '..' || "end", '; ') FROM timeoff
                WHERE pm_id = p.id) AS timeoff
        FROM pms p ORDER BY p.id""",
    "estimates": """SELECT id, deal_id, hours, low, high, author AS "by", note, created
                    FROM estimates ORDER BY id""",
    "terms": """SELECT id, deal_id, text, kind, due, amount, remind_days, status,
                       acknowledged_by, acknowledged_at FROM terms ORDER BY id""",
    "updates": """SELECT id, deal_id, text, signal, author AS "by", created
                  FROM updates ORDER BY id""",
    "worklog": """SELECT id, deal_id, hours, on_date AS "on", note FROM worklog ORDER BY id""",
}


def _entry(r: dict[str, Any]) -> WorklogEntry:
    return WorklogEntry(
        r["deal_id"], r["hours"], date.fromisoformat(r["on_date"]), r["note"], r["id"]
    )


def _timeoff(r: dict[str, Any]) -> TimeOff:
    return TimeOff(
        date.fromisoformat(r["start"]), date.fromisoformat(r["end"]), r["reason"], r["id"]
    )
