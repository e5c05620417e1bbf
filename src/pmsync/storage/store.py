"""Every query pmsync makes, speaking in the core's types. Nothing above this writes SQL."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmsync.core.calendar import format_workdays
from pmsync.core.dates import from_iso, iso
from pmsync.core.models import (
    OPEN_STAGES,
    PM,
    Actual,
    Deal,
    Estimate,
    PromiseChange,
    Settings,
    Term,
    TimeOff,
    Update,
    WorklogEntry,
)
from pmsync.errors import BadInput
from pmsync.storage import connection

if TYPE_CHECKING:
    import sqlite_utils

    from pmsync.core.forecast import History

_SETTING_TYPES: dict[str, type] = {
    "at_risk_buffer": int,
    "samples": int,
    "seed": int,
    "remind_days": int,
    "report_from": str,
}
SETTING_HELP = {
    "at_risk_buffer": "working days of slack below which a promise is at risk",
    "samples": "Monte-Carlo samples per forecast",
    "seed": "random seed of the forecast (same data, same answer)",
    "remind_days": "default days before a term's due date to start reminding",
    "report_from": "From: address of the weekly email",
}
_SETTING_LIMITS = {"at_risk_buffer": (0, 260), "samples": (10, 100_000), "remind_days": (0, 3650)}

# Explicit columns in a fixed order: deals are read by the ten thousand, straight from tuples.
_DEAL_SELECT = """
SELECT d.id, d.title, d.client, d.stage, d.seller, d.kind, d.value, d.probability,
       d.promised, d.start, p.name, d.stakeholder, d.external_id, d.signed_on,
       d.delivered_on, d.actual_hours, d.lost_reason,
       e.id, e.hours, e.low, e.high,
       coalesce((SELECT sum(hours) FROM worklog WHERE deal_id = d.id), 0.0)
FROM deals d
LEFT JOIN pms p ON p.id = d.pm_id
LEFT JOIN estimates e ON e.id = (SELECT max(id) FROM estimates WHERE deal_id = d.id)
"""


# Delivered deals as history sees them: the estimate at signing, else the first one.
_DELIVERED = """
FROM deals d
LEFT JOIN pms p ON p.id = d.pm_id
LEFT JOIN estimates s ON s.id = coalesce(
    d.signing_estimate_id, (SELECT min(id) FROM estimates WHERE deal_id = d.id))
WHERE d.stage = 'delivered'
"""
_ACTUAL_SELECT = (
    "SELECT d.id, d.title, d.kind, p.name, d.delivered_on, s.hours, d.actual_hours" + _DELIVERED
)
# The same deals as `History` reads them (`HistoryRow`): the day is the delivery date's
# ordinal (the julianday of 0001-01-01 is 1721425.5), and ids keep the order samples pick in.
_HISTORY_SELECT = (
    "SELECT p.name, d.kind,"
    " coalesce(CAST(julianday(d.delivered_on) - 1721424.5 AS INTEGER), 0), s.hours, d.actual_hours"
    + _DELIVERED
    + " AND d.actual_hours IS NOT NULL ORDER BY d.id"
)


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
        text[r[5]],
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
    return Actual(r[0], r[1], same.text[r[2]], same.text[r[3]], same.date[r[4]], r[5], r[6])


def _term(row: dict[str, Any], same: _Shared | None = None) -> Term:
    same = same or _Shared()
    return Term(
        id=row["id"],
        deal_id=row["deal_id"],
        text=row["text"],
        kind=same.text[row["kind"]],
        due=same.date[row["due"]],
        amount=row["amount"],
        remind_days=row["remind_days"],
        status=same.text[row["status"]],
        acknowledged_by=same.text[row["acknowledged_by"]],
        acknowledged_at=row["acknowledged_at"],
    )


def _update_record(row: dict[str, Any], same: _Shared | None = None) -> Update:
    same = same or _Shared()
    return Update(
        id=row["id"],
        deal_id=row["deal_id"],
        text=row["text"],
        signal=same.text[row["signal"]],
        by=same.text[row["author"]],
        created=row["created"],
    )


class Store:
    """The pmsync database: open it, then read and write records inside `write()`/`read()`."""

    def __init__(self, path: Path, today: date) -> None:
        self.path = path
        self.today = today
        self.conn = connection.connect(path)

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection, for writes; reads use plain SQL, so a
        read-only command never pays for importing it."""
        import sqlite_utils

        return sqlite_utils.Database(self.conn, execute_plugins=False, recursive_triggers=False)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def write(self, dry_run: bool = False) -> Iterator[Store]:
        with connection.transaction(self.conn, self.path, write=True, commit=not dry_run):
            yield self

    @contextlib.contextmanager
    def read(self) -> Iterator[Store]:
        with connection.transaction(self.conn, self.path, write=False):
            yield self

    def now(self) -> str:
        """A timestamp on `today` (which --today may fix) at the real time of day."""
        return datetime.combine(self.today, datetime.now().time()).isoformat(timespec="seconds")

    def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[dict]:
        return list(self._each(sql, params))

    def _each(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Iterator[dict]:
        """Rows as dicts one at a time, for tables read whole."""
        cur = self.conn.execute(sql, params)
        cols = [c[0] for c in cur.description]
        for r in cur:
            yield dict(zip(cols, r, strict=True))

    def _insert(self, table: str, record: dict[str, Any]) -> int:
        """One row, parameterised. Single-row writes skip sqlite-utils: importing it costs
        more than the rest of a `deal add`; bulk writes go through it (`bulk_insert`)."""
        cols = ", ".join(f'"{c}"' for c in record)
        marks = ", ".join("?" * len(record))
        cur = self.conn.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(record.values())
        )
        return cur.lastrowid  # type: ignore[return-value]

    def update_row(self, table: str, row_id: int, changes: dict[str, Any]) -> None:
        if not changes:
            return
        sets = ", ".join(f'"{c}" = ?' for c in changes)
        self.conn.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*changes.values(), row_id])

    # -- settings ----------------------------------------------------------------------
    def settings(self) -> Settings:
        stored = {r["key"]: r["value"] for r in self._rows("SELECT key, value FROM settings")}
        known = {k: _SETTING_TYPES[k](v) for k, v in stored.items() if k in _SETTING_TYPES}
        return Settings(**known)

    def set_setting(self, key: str, value: str) -> Any:
        if key not in _SETTING_TYPES:
            raise BadInput(f"unknown setting '{key}'; known: {', '.join(sorted(_SETTING_TYPES))}")
        try:
            typed = _SETTING_TYPES[key](value)
        except ValueError:
            raise BadInput(f"setting {key} needs a whole number, not '{value}'") from None
        if key in _SETTING_LIMITS:
            low, high = _SETTING_LIMITS[key]
            if not low <= typed <= high:
                raise BadInput(f"setting {key} must be between {low} and {high}, not {typed}")
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, str(typed)),
        )
        return typed

    # -- PMs ---------------------------------------------------------------------------
    def _pm_row(self, name: str) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM pms WHERE name = ? COLLATE NOCASE", (name,))
        if not rows:
            known = [r["name"] for r in self._rows("SELECT name FROM pms ORDER BY name")]
            hint = f"known PMs: {', '.join(known)}" if known else "no PMs recorded yet"
            raise BadInput(f"unknown PM '{name}'; {hint}")
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
        )

    def pm(self, name: str) -> PM:
        row = self._pm_row(name)
        return self._to_pm(row, self._timeoff(row["id"]))

    def pms(self) -> list[PM]:
        off: dict[int, list[TimeOff]] = {}
        for r in self._rows("SELECT * FROM timeoff ORDER BY start"):
            off.setdefault(r["pm_id"], []).append(_timeoff(r))
        return [
            self._to_pm(r, off.get(r["id"], ()))
            for r in self._rows("SELECT * FROM pms ORDER BY name COLLATE NOCASE")
        ]

    def _timeoff(self, pm_id: int) -> list[TimeOff]:
        return [
            _timeoff(r)
            for r in self._rows("SELECT * FROM timeoff WHERE pm_id = ? ORDER BY start", (pm_id,))
        ]

    def add_pm(self, pm: PM) -> PM:
        if self._rows("SELECT 1 FROM pms WHERE name = ? COLLATE NOCASE", (pm.name,)):
            raise BadInput(f"a PM named '{pm.name}' already exists")
        self._insert(
            "pms",
            {
                "name": pm.name,
                "email": pm.email,
                "capacity": pm.capacity,
                "workdays": format_workdays(pm.workdays),
                "holidays": pm.holidays,
                "created": self.now(),
            },
        )
        return self.pm(pm.name)

    def update_pm(self, name: str, changes: dict[str, Any]) -> PM:
        row = self._pm_row(name)
        renamed = "name" in changes and changes["name"].lower() != row["name"].lower()
        if renamed and self._rows(
            "SELECT 1 FROM pms WHERE name = ? COLLATE NOCASE", (changes["name"],)
        ):
            raise BadInput(f"a PM named '{changes['name']}' already exists")
        if "workdays" in changes:
            changes["workdays"] = format_workdays(changes["workdays"])
        if changes:
            self.update_row("pms", row["id"], changes)
        return self.pm(changes.get("name", row["name"]))

    def remove_pm(self, name: str) -> PM:
        pm = self.pm(name)
        open_deals = self._rows(
            f"SELECT id FROM deals WHERE pm_id = ? AND stage IN {OPEN_STAGES}", (pm.id,)
        )
        if open_deals:
            ids = ", ".join(str(r["id"]) for r in open_deals[:10])
            raise BadInput(
                f"{pm.name} still has {len(open_deals)} open deal(s) ({ids}); "
                "reassign them with pmsync deal update ID --pm NAME first"
            )
        # Delivered and lost deals keep their history without the PM's name.
        self.conn.execute("UPDATE deals SET pm_id = NULL WHERE pm_id = ?", (pm.id,))
        self.conn.execute("DELETE FROM pms WHERE id = ?", (pm.id,))
        return pm

    def add_timeoff(self, name: str, off: TimeOff) -> TimeOff:
        row = self._pm_row(name)
        new_id = self._insert(
            "timeoff",
            {
                "pm_id": row["id"],
                "start": iso(off.start),
                "end": iso(off.end),
                "reason": off.reason,
            },
        )
        return TimeOff(off.start, off.end, off.reason, new_id)

    # -- deals ---------------------------------------------------------------------------
    def deal(self, deal_id: int) -> Deal:
        rows = self.conn.execute(_DEAL_SELECT + " WHERE d.id = ?", (deal_id,)).fetchall()
        if not rows:
            raise BadInput(f"unknown deal {deal_id}; see pmsync deal list")
        return _deal(rows[0])

    def deals(
        self,
        stages: Sequence[str] | None = None,
        seller: str | None = None,
        pm: str | None = None,
        client: str | None = None,
    ) -> list[Deal]:
        where, params = [], []
        if stages:
            where.append(f"d.stage IN ({','.join('?' * len(stages))})")
            params += list(stages)
        if seller:
            where.append("d.seller = ? COLLATE NOCASE")
            params.append(seller)
        if pm:
            where.append("d.pm_id = ?")
            params.append(self._pm_row(pm)["id"])
        if client:
            where.append("d.client = ? COLLATE NOCASE")
            params.append(client)
        sql = _DEAL_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY d.id"
        same = _Shared()
        return [_deal(r, same) for r in self.conn.execute(sql, params)]

    def history(self) -> History:
        """What every delivered deal teaches the forecast. Only the numbers are read, and
        straight from the cursor: a big team has hundreds of thousands of them."""
        from pmsync.core.forecast import History

        return History.from_rows(self.conn.execute(_HISTORY_SELECT))

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
        rows = self.conn.execute(sql, (iso(first), iso(last), -1 if limit is None else limit))
        same = _Shared()
        return [_actual(r, same) for r in rows]

    def deals_by_id(self, ids: Sequence[int]) -> list[Deal]:
        found: list[Deal] = []
        same = _Shared()
        wanted = sorted(set(ids))
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            sql = _DEAL_SELECT + f" WHERE d.id IN ({','.join('?' * len(chunk))})"
            found += [_deal(r, same) for r in self.conn.execute(sql, chunk)]
        return found

    def add_deal(self, fields: dict[str, Any], estimate: Estimate | None) -> Deal:
        record = dict(fields)
        if record.get("pm"):
            record["pm_id"] = self._pm_row(record.pop("pm"))["id"]
        else:
            record.pop("pm", None)
        if record.get("external_id") and self._rows(
            "SELECT 1 FROM deals WHERE external_id = ?", (record["external_id"],)
        ):
            raise BadInput(f"a deal with external id '{record['external_id']}' already exists")
        for key in ("promised", "start", "signed_on"):
            record[key] = iso(record.get(key))
        record["created"] = self.now()
        deal_id = self._insert("deals", record)
        if estimate is not None:
            self._add_estimate(deal_id, estimate)
        if record.get("stage") == "signed":
            self._sign(deal_id, from_iso(record.get("signed_on")) or self.today)
        return self.deal(deal_id)

    def update_deal(self, deal_id: int, changes: dict[str, Any]) -> Deal:
        current = self.deal(deal_id)
        record = dict(changes)
        if "pm" in record:
            name = record.pop("pm")
            record["pm_id"] = self._pm_row(name)["id"] if name else None
        if record.get("external_id") and self._rows(
            "SELECT 1 FROM deals WHERE external_id = ? AND id != ?",
            (record["external_id"], deal_id),
        ):
            raise BadInput(f"a deal with external id '{record['external_id']}' already exists")
        if "promised" in record and record["promised"] != current.promised:
            self._insert(
                "promise_history",
                {
                    "deal_id": deal_id,
                    "old": iso(current.promised),
                    "new": iso(record["promised"]),
                    "changed": self.now(),
                },
            )
        for key in ("promised", "start"):
            if key in record:
                record[key] = iso(record[key])
        if record:
            self.update_row("deals", deal_id, record)
        return self.deal(deal_id)

    def _sign(self, deal_id: int, on: date) -> None:
        latest = self._rows("SELECT max(id) AS id FROM estimates WHERE deal_id = ?", (deal_id,))[0][
            "id"
        ]
        self.update_row(
            "deals",
            deal_id,
            {"stage": "signed", "signed_on": iso(on), "signing_estimate_id": latest},
        )

    def set_stage(self, deal_id: int, stage: str, **fields: Any) -> Deal:
        if stage == "signed":
            self._sign(deal_id, fields.get("signed_on") or self.today)
        else:
            record = {"stage": stage}
            for key, value in fields.items():
                record[key] = iso(value) if isinstance(value, date) else value
            self.update_row("deals", deal_id, record)
        return self.deal(deal_id)

    def promise_history(self, deal_id: int) -> list[PromiseChange]:
        return [
            PromiseChange(deal_id, from_iso(r["old"]), from_iso(r["new"]), r["changed"])
            for r in self._rows(
                "SELECT * FROM promise_history WHERE deal_id = ? ORDER BY id", (deal_id,)
            )
        ]

    # -- estimates and worklog ------------------------------------------------------------
    def _add_estimate(self, deal_id: int, est: Estimate) -> int:
        return self._insert(
            "estimates",
            {
                "deal_id": deal_id,
                "hours": est.hours,
                "low": est.low,
                "high": est.high,
                "author": est.author,
                "note": est.note,
                "created": self.now(),
            },
        )

    def add_estimate(self, est: Estimate) -> Estimate:
        self.deal(est.deal_id)
        new_id = self._add_estimate(est.deal_id, est)
        return self.estimates(est.deal_id, only=new_id)[0]

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

    def log_hours(self, entry: WorklogEntry) -> WorklogEntry:
        new_id = self._insert(
            "worklog",
            {
                "deal_id": entry.deal_id,
                "hours": entry.hours,
                "on_date": iso(entry.on),
                "note": entry.note,
                "created": self.now(),
            },
        )
        return WorklogEntry(entry.deal_id, entry.hours, entry.on, entry.note, new_id)

    def worklog(self, deal_id: int) -> list[WorklogEntry]:
        return [
            WorklogEntry(
                r["deal_id"], r["hours"], date.fromisoformat(r["on_date"]), r["note"], r["id"]
            )
            for r in self._rows(
                "SELECT * FROM worklog WHERE deal_id = ? ORDER BY on_date, id", (deal_id,)
            )
        ]

    # -- terms -------------------------------------------------------------------------
    def term(self, term_id: int) -> Term:
        rows = self._rows("SELECT * FROM terms WHERE id = ?", (term_id,))
        if not rows:
            raise BadInput(f"unknown term {term_id}; see pmsync term list")
        return _term(rows[0])

    def add_term(self, term: Term) -> Term:
        self.deal(term.deal_id)
        new_id = self._insert(
            "terms",
            {
                "deal_id": term.deal_id,
                "text": term.text,
                "kind": term.kind,
                "due": iso(term.due),
                "amount": term.amount,
                "remind_days": term.remind_days,
                "status": "open",
                "created": self.now(),
            },
        )
        return self.term(new_id)

    def terms(self, deal_id: int | None = None, open_only: bool = False) -> list[Term]:
        where, params = [], []
        if deal_id is not None:
            self.deal(deal_id)
            where.append("deal_id = ?")
            params.append(deal_id)
        if open_only:
            where.append("status = 'open'")
        sql = "SELECT * FROM terms" + (" WHERE " + " AND ".join(where) if where else "")
        same = _Shared()
        return [_term(r, same) for r in self._each(sql + " ORDER BY due, id", params)]

    def set_term(self, term_id: int, **fields: Any) -> Term:
        self.term(term_id)
        self.update_row("terms", term_id, fields)
        return self.term(term_id)

    # -- updates -------------------------------------------------------------------------
    def add_update(self, update: Update) -> Update:
        self.deal(update.deal_id)
        new_id = self._insert(
            "updates",
            {
                "deal_id": update.deal_id,
                "text": update.text,
                "signal": update.signal,
                "author": update.by,
                "created": self.now(),
            },
        )
        return _update_record(self._rows("SELECT * FROM updates WHERE id = ?", (new_id,))[0])

    def updates(
        self, deal_id: int | None = None, since: date | None = None, signal: str | None = None
    ) -> list[Update]:
        where, params = [], []
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
        sql = "SELECT * FROM updates" + (" WHERE " + " AND ".join(where) if where else "")
        same = _Shared()
        rows = self._each(sql + " ORDER BY created, id", params)
        return [_update_record(r, same) for r in rows]

    # -- bulk ----------------------------------------------------------------------------
    def bulk_insert(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        """Insert whole tables of rows at once (sample teams, imports).

        A deal points at its signing estimate and an estimate at its deal, so foreign keys
        are checked once, at commit, when both are in.
        """
        self.conn.execute("PRAGMA defer_foreign_keys = ON")
        for table in (
            "pms",
            "timeoff",
            "deals",
            "estimates",
            "worklog",
            "terms",
            "updates",
            "promise_history",
        ):
            records = rows.get(table)
            if not records:
                continue
            columns = list(dict.fromkeys(k for r in records for k in r))
            self.db[table].insert_all(
                ({c: r.get(c) for c in columns} for r in records), batch_size=2000
            )


def _timeoff(r: dict[str, Any]) -> TimeOff:
    return TimeOff(
        date.fromisoformat(r["start"]), date.fromisoformat(r["end"]), r["reason"], r["id"]
    )
