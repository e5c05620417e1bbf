"""Every write pmsync makes, as steps of one batch (see storage.backend).

A command reads, decides in the core, then describes its writes here with typed methods;
`Store.apply` sends them as one atomic batch. What the decision rested on is restated as a
`Require`, so a batch built on a stale read is abandoned whole instead of landing wrong.
Ids chain inside the batch through SQL: a method that makes a record returns the index of
the step whose `RETURNING` row carries its id.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pmsync.core.calendar import format_workdays
from pmsync.core.dates import iso
from pmsync.core.lifecycle import OPEN_STAGES, Stage
from pmsync.core.models import PM, Estimate, Term, TimeOff, Update, WorklogEntry
from pmsync.core.words import Word
from pmsync.errors import (
    Conflict,
    DuplicateExternalId,
    DuplicatePM,
    PMHasOpenDeals,
    PmsyncError,
    UnknownDeal,
    UnknownPM,
    UnknownTerm,
)
from pmsync.storage.backend import Require, Step, Write, WriteMany
from pmsync.storage.store import ANY_RECORD, DEAL_COLUMNS, DEMO_MARK

_PM_ID = "(SELECT id FROM pms WHERE name = ? COLLATE NOCASE)"
# The estimate just inserted becomes its deal's signing estimate.
_SIGNING_IS_LAST_ESTIMATE = (
    "UPDATE deals SET signing_estimate_id = last_insert_rowid() "
    "WHERE id = (SELECT deal_id FROM estimates WHERE id = last_insert_rowid())"
)


# The INSERT of an imported deal, per list of columns.
_INSERT_DEAL: dict[tuple[str, ...], str] = {}

# What `update_pm` may set.
PM_COLUMNS = ("name", "email", "capacity", "workdays", "holidays")


class Batch:
    """The writes of one command; `now` stamps every record it makes."""

    def __init__(self, now: str) -> None:
        self.now = now
        self.steps: list[Step] = []

    def _add(self, step: Step) -> int:
        self.steps.append(step)
        return len(self.steps) - 1

    def require(self, condition: str, params: Sequence[Any], error: PmsyncError) -> None:
        self._add(Require(condition, params, error))

    # -- preconditions most commands share -------------------------------------------------
    def deal_stage_is(self, deal_id: int, stage: str) -> None:
        """The deal is still in the stage the command decided on."""
        self.deal_stage_in(deal_id, (stage,))

    def deal_stage_in(self, deal_id: int, stages: Sequence[str]) -> None:
        """The deal is still in one of the stages the command's decision allows."""
        marks = ",".join("?" * len(stages))
        self.require(
            f"(SELECT stage FROM deals WHERE id = ?) IN ({marks})",
            (deal_id, *(str(s) for s in stages)),
            Conflict(f"deal {deal_id}"),
        )

    def deal_exists(self, deal_id: int) -> None:
        self.require("EXISTS (SELECT 1 FROM deals WHERE id = ?)", (deal_id,), UnknownDeal(deal_id))

    def pm_exists(self, name: str, known: Sequence[str]) -> None:
        """The PM is there, and takes work (not archived)."""
        self.require(
            "EXISTS (SELECT 1 FROM pms WHERE name = ? COLLATE NOCASE AND archived IS NULL)",
            (name,),
            UnknownPM(name, known),
        )

    # -- settings ------------------------------------------------------------------------
    def set_setting(self, key: str, value: Any) -> None:
        self._add(
            Write(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )
        )

    def mark_demo(self) -> None:
        """This database holds the demo team: the demo may rebuild it, and nothing else."""
        self.set_setting(DEMO_MARK, 1)

    def clear_settings(self) -> None:
        self._add(Write("DELETE FROM settings"))

    # -- PMs -----------------------------------------------------------------------------
    def add_pm(self, pm: PM) -> int:
        return self._add(
            Write(
                "INSERT INTO pms (name, email, capacity, workdays, holidays, created) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    pm.name,
                    pm.email,
                    pm.capacity,
                    format_workdays(pm.workdays),
                    pm.holidays,
                    self.now,
                ),
                returns=True,
                error=DuplicatePM(pm.name),
            )
        )

    def update_pm(self, pm_id: int, changes: Mapping[str, Any]) -> None:
        """Set these of a PM's columns (`PM_COLUMNS`; None clears)."""
        _known(changes, PM_COLUMNS)
        values = dict(changes)
        if values.get("workdays") is not None:
            values["workdays"] = format_workdays(values["workdays"])
        if values:
            sets = ", ".join(f'"{c}" = ?' for c in values)
            self._add(
                Write(
                    f"UPDATE pms SET {sets} WHERE id = ?",
                    (*values.values(), pm_id),
                    error=DuplicatePM(str(values.get("name"))),
                )
            )

    def remove_pm(self, pm_id: int, name: str, open_deals: Sequence[int]) -> None:
        """A PM added by mistake, with no deal at all: gone (a PM with history is archived)."""
        self._no_open_deals(pm_id, name, open_deals)
        self.require(
            "NOT EXISTS (SELECT 1 FROM deals WHERE pm_id = ?)", (pm_id,), Conflict(f"PM {name}")
        )
        self._add(Write("DELETE FROM pms WHERE id = ?", (pm_id,)))

    def archive_pm(self, pm_id: int, name: str, open_deals: Sequence[int]) -> None:
        """The PM leaves: out of lists, capacity and proposals, while the deals they
        delivered keep their name (and the history they teach)."""
        self._no_open_deals(pm_id, name, open_deals)
        self._add(Write("UPDATE pms SET archived = ? WHERE id = ?", (self.now, pm_id)))

    def unarchive_pm(self, pm_id: int, changes: Mapping[str, Any]) -> None:
        """An archived PM is back, with `changes` (PM_COLUMNS) and their history."""
        self.update_pm(pm_id, changes)
        self._add(Write("UPDATE pms SET archived = NULL WHERE id = ?", (pm_id,)))

    def _no_open_deals(self, pm_id: int, name: str, open_deals: Sequence[int]) -> None:
        marks = ",".join("?" * len(OPEN_STAGES))
        self.require(
            f"NOT EXISTS (SELECT 1 FROM deals WHERE pm_id = ? AND stage IN ({marks}))",
            (pm_id, *OPEN_STAGES),
            PMHasOpenDeals(name, open_deals),
        )

    def remove_timeoff(self, off: TimeOff) -> None:
        """Time off taken out whole, if it is still as read."""
        self._timeoff_is(off)
        self._add(Write("DELETE FROM timeoff WHERE id = ?", (off.id,)))

    def change_timeoff(self, off: TimeOff, start: date, end: date) -> None:
        """Time off cut to `start`..`end`, if it is still as read."""
        self._timeoff_is(off)
        self._add(
            Write(
                'UPDATE timeoff SET start = ?, "end" = ? WHERE id = ?',
                (iso(start), iso(end), off.id),
            )
        )

    def _timeoff_is(self, off: TimeOff) -> None:
        self.require(
            'EXISTS (SELECT 1 FROM timeoff WHERE id = ? AND start = ? AND "end" = ?)',
            (off.id, iso(off.start), iso(off.end)),
            Conflict(f"time off {off.start} to {off.end}"),
        )

    def add_timeoff(self, pm_id: int, off: TimeOff) -> int:
        return self._add(
            Write(
                'INSERT INTO timeoff (pm_id, start, "end", reason) VALUES (?, ?, ?, ?) '
                "RETURNING id",
                (pm_id, iso(off.start), iso(off.end), off.reason),
                returns=True,
            )
        )

    # -- deals ---------------------------------------------------------------------------
    def add_deal(self, values: Mapping[str, Any], estimate: Estimate | None) -> int:
        """A new deal (`values` keyed by `DEAL_COLUMNS`, the PM by name), with its first
        estimate; a deal added signed (with `signed_on`) gets that estimate as its signing
        estimate. Returns the step whose row is the new deal's id."""
        _known(values, DEAL_COLUMNS)
        columns = [("pm_id" if c == "pm" else c) for c in values]
        marks = [(_PM_ID if c == "pm" else "?") for c in values]
        made = self._add(
            Write(
                f"INSERT INTO deals ({', '.join(columns)}, created) "
                f"VALUES ({', '.join(marks)}, ?) RETURNING id",
                (*map(_sql_value, values.values()), self.now),
                returns=True,
                error=DuplicateExternalId(str(values.get("external_id"))),
            )
        )
        signed_on = values.get("signed_on")
        if estimate is not None:
            self._add(
                Write(
                    "INSERT INTO estimates (deal_id, hours, low, high, author, note, created) "
                    "VALUES (last_insert_rowid(), ?, ?, ?, ?, ?, ?)",
                    (
                        estimate.hours,
                        estimate.low,
                        estimate.high,
                        estimate.author,
                        estimate.note,
                        self.now,
                    ),
                )
            )
            if signed_on is not None:
                self._add(Write(_SIGNING_IS_LAST_ESTIMATE))
        return made

    def update_deal(self, deal_id: int, values: Mapping[str, Any]) -> None:
        """Set these of a deal's columns (`DEAL_COLUMNS`, the PM by name; None clears); a new
        promised date keeps the old one in the history (the old value is copied in SQL, so
        two writers moving one promise both leave a link)."""
        _known(values, DEAL_COLUMNS)
        if "promised" in values:
            new = iso(values["promised"])
            self._add(
                Write(
                    "INSERT INTO promise_history (deal_id, old, new, changed) "
                    "SELECT id, promised, ?, ? FROM deals WHERE id = ? AND promised IS NOT ?",
                    (new, self.now, deal_id, new),
                )
            )
        sets, params = [], []
        for name, value in values.items():
            if name == "pm":
                sets.append(f"pm_id = {_PM_ID}")
            else:
                sets.append(f'"{name}" = ?')
            params.append(_sql_value(value))
        if sets:
            self._add(
                Write(
                    f"UPDATE deals SET {', '.join(sets)} WHERE id = ?",
                    (*params, deal_id),
                    error=DuplicateExternalId(str(values.get("external_id"))),
                )
            )

    def set_stage(self, deal_id: int, stage: Stage, only_from: str | None = None) -> None:
        """Move the deal to `stage`; with `only_from`, only if it is in that stage when the
        batch runs (a move that another writer may have made already)."""
        if only_from is None:
            self._add(Write("UPDATE deals SET stage = ? WHERE id = ?", (stage.value, deal_id)))
        else:
            self._add(
                Write(
                    "UPDATE deals SET stage = ? WHERE id = ? AND stage = ?",
                    (stage.value, deal_id, str(only_from)),
                )
            )

    def sign(self, deal_id: int, on: date) -> None:
        """The signing: its date, and the estimate in force now as the one actuals meet."""
        self._add(
            Write(
                "UPDATE deals SET stage = 'signed', signed_on = ?, signing_estimate_id = "
                "(SELECT max(id) FROM estimates WHERE deal_id = ?) WHERE id = ?",
                (iso(on), deal_id, deal_id),
            )
        )

    def deliver(self, deal_id: int, on: date, actual_hours: float | None) -> None:
        """Delivered; without actual hours given, the hours logged (summed in SQL)."""
        self._add(
            Write(
                "UPDATE deals SET stage = 'delivered', delivered_on = ?, actual_hours = "
                "coalesce(?, nullif((SELECT sum(hours) FROM worklog WHERE deal_id = ?), 0)) "
                "WHERE id = ?",
                (iso(on), actual_hours, deal_id, deal_id),
            )
        )

    def lose(self, deal_id: int, reason: str | None) -> None:
        self._add(
            Write(
                "UPDATE deals SET stage = 'lost', lost_reason = ?, lost_on = ? WHERE id = ?",
                (reason, self.now[:10], deal_id),
            )
        )

    # -- estimates, worklog, terms, updates ---------------------------------------------
    def add_estimate(self, est: Estimate) -> int:
        return self._add(
            Write(
                "INSERT INTO estimates (deal_id, hours, low, high, author, note, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (est.deal_id, est.hours, est.low, est.high, est.author, est.note, self.now),
                returns=True,
            )
        )

    def log_hours(self, entry: WorklogEntry) -> int:
        return self._add(
            Write(
                "INSERT INTO worklog (deal_id, hours, on_date, note, created) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (entry.deal_id, entry.hours, iso(entry.on), entry.note, self.now),
                returns=True,
            )
        )

    def add_term(self, term: Term) -> int:
        return self._add(
            Write(
                "INSERT INTO terms (deal_id, text, kind, due, amount, remind_days, status, "
                "created) VALUES (?, ?, ?, ?, ?, ?, 'open', ?) RETURNING id",
                (
                    term.deal_id,
                    term.text,
                    term.kind,
                    iso(term.due),
                    term.amount,
                    term.remind_days,
                    self.now,
                ),
                returns=True,
            )
        )

    def term_exists(self, term_id: int) -> None:
        self.require("EXISTS (SELECT 1 FROM terms WHERE id = ?)", (term_id,), UnknownTerm(term_id))

    def term_status_is(self, term_id: int, status: str) -> None:
        self.require(
            "(SELECT status FROM terms WHERE id = ?) = ?",
            (term_id, status),
            Conflict(f"term {term_id}"),
        )

    def acknowledge_term(self, term_id: int, by: str) -> None:
        self._add(
            Write(
                "UPDATE terms SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                (by, self.now, term_id),
            )
        )

    def set_term_status(self, term_id: int, status: str) -> None:
        self._add(
            Write(
                "UPDATE terms SET status = ?, closed_on = ? WHERE id = ?",
                (status, self.now[:10], term_id),
            )
        )

    def add_update(self, update: Update) -> int:
        return self._add(
            Write(
                "INSERT INTO updates (deal_id, text, signal, author, created) "
                "VALUES (?, ?, ?, ?, ?) RETURNING id",
                (update.deal_id, update.text, update.signal, update.by, self.now),
                returns=True,
            )
        )

    # -- corrections -----------------------------------------------------------------------
    def correct(self, record: str, record_id: int, field: str, value: Any) -> None:
        """Set one field of a worklog entry, term or update; the old value goes to the
        deal's history, copied in SQL (another writer's change is what gets recorded)."""
        table, column = _CORRECTABLE[record][0], _CORRECTABLE[record][1][field]
        value = _sql_value(value)
        self._add(
            Write(
                "INSERT INTO corrections (deal_id, record, record_id, field, old, new, changed) "
                f'SELECT deal_id, ?, id, ?, "{column}", ?, ? FROM {table} '
                f'WHERE id = ? AND "{column}" IS NOT ?',
                (record, field, value, self.now, record_id, value),
            )
        )
        self._add(Write(f'UPDATE {table} SET "{column}" = ? WHERE id = ?', (value, record_id)))

    def remove_record(self, record: str, record_id: int) -> None:
        """A worklog entry or update deleted; what it said stays in the deal's history."""
        table, summary = _CORRECTABLE[record][0], _CORRECTABLE[record][2]
        self._add(
            Write(
                "INSERT INTO corrections (deal_id, record, record_id, field, old, new, changed) "
                f"SELECT deal_id, ?, id, 'removed', {summary}, NULL, ? FROM {table} WHERE id = ?",
                (record, self.now, record_id),
            )
        )
        self._add(Write(f"DELETE FROM {table} WHERE id = ?", (record_id,)))

    def record_exists(self, record: str, record_id: int, error: PmsyncError) -> None:
        table = _CORRECTABLE[record][0]
        self.require(f"EXISTS (SELECT 1 FROM {table} WHERE id = ?)", (record_id,), error)

    def remove_deal(self, deal_id: int, force: bool, error: PmsyncError) -> None:
        """A deal added by mistake, with everything recorded on it. Without `force`, only
        while no hours were logged on it and it was not delivered (checked in SQL)."""
        if not force:
            self.require(
                "NOT EXISTS (SELECT 1 FROM worklog WHERE deal_id = ?) AND "
                "(SELECT stage FROM deals WHERE id = ?) IS NOT 'delivered'",
                (deal_id, deal_id),
                error,
            )
        self._add(Write("DELETE FROM deals WHERE id = ?", (deal_id,)))

    # -- calendar identities ---------------------------------------------------------------
    def calendar_event(self, key: str, new_uid: str, fingerprint: str, stamp: str) -> int:
        """The event's stable UID, its SEQUENCE (raised in SQL whenever its content
        changed) and its DTSTAMP (`stamp` when it changed, else the one it had); a new
        event takes `new_uid`. The step returns (uid, sequence, stamp)."""
        return self._add(
            Write(
                'INSERT INTO calendar_events ("key", uid, sequence, fingerprint, stamped) '
                'VALUES (?, ?, 0, ?, ?) ON CONFLICT ("key") DO UPDATE SET '
                "sequence = calendar_events.sequence "
                "+ (calendar_events.fingerprint != excluded.fingerprint), "
                "stamped = CASE WHEN calendar_events.fingerprint = excluded.fingerprint "
                "THEN coalesce(calendar_events.stamped, excluded.stamped) "
                "ELSE excluded.stamped END, "
                "fingerprint = excluded.fingerprint RETURNING uid, sequence, stamped",
                (key, new_uid, fingerprint, stamp),
                returns=True,
                # An upsert may make no row: its result is the event's row.
                recall=(
                    "(SELECT json_array(json_array(uid, sequence, stamped)) FROM calendar_events "
                    'WHERE "key" = ?)',
                    (key,),
                ),
            )
        )

    # -- bulk ------------------------------------------------------------------------------
    def insert_rows(
        self, table: str, records: Sequence[dict[str, Any]], error: PmsyncError | None = None
    ) -> None:
        """Whole tables of rows at once (sample teams, imports), ids included; `error`:
        what a row the schema refuses means."""
        if not records:
            return
        columns = list(dict.fromkeys(k for r in records for k in r))
        cols = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("?" * len(columns))
        self._add(
            WriteMany(
                f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                [tuple(r.get(c) for c in columns) for r in records],
                error,
            )
        )

    def database_is_empty(self, error: PmsyncError) -> None:
        """No record of any kind is there yet (a whole database is loaded only into one)."""
        self.require(f"NOT {ANY_RECORD}", (), error)

    def references_hold(self, error: PmsyncError) -> None:
        """Every reference in the database points at a record (checked before commit)."""
        self.require("NOT EXISTS (SELECT 1 FROM pragma_foreign_key_check)", (), error)

    def import_deal(self, record: Mapping[str, Any], hours: float | None, signed: bool) -> None:
        """A deal from a CRM row (`record` holds its stored columns), with the CRM's hours as
        its first estimate, which is its signing estimate when the deal comes in signed.
        Ids chain in SQL: many writers may import at once."""
        cols = tuple(record)
        sql = _INSERT_DEAL.get(cols)
        if sql is None:  # the same few column lists for every row of a file
            sql = _INSERT_DEAL[cols] = (
                f"INSERT INTO deals ({', '.join(cols)}, created) "
                f"VALUES ({', '.join('?' * len(cols))}, ?)"
            )
        self._add(
            Write(
                sql,
                (*record.values(), self.now),
                error=DuplicateExternalId(str(record.get("external_id"))),
            )
        )
        if hours:
            self._add(
                Write(
                    "INSERT INTO estimates (deal_id, hours, author, created) "
                    "VALUES (last_insert_rowid(), ?, 'import', ?)",
                    (hours, self.now),
                )
            )
            if signed:
                self._add(Write(_SIGNING_IS_LAST_ESTIMATE))

    def set_pm_id(self, deal_id: int, pm_id: int) -> None:
        self._add(Write("UPDATE deals SET pm_id = ? WHERE id = ?", (pm_id, deal_id)))


# What a correction may touch: record -> (table, {field: column}, what a removal keeps).
_CORRECTABLE: dict[str, tuple[str, dict[str, str], str]] = {
    "worklog": (
        "worklog",
        {"hours": "hours", "on": "on_date", "note": "note"},
        "hours || ' h on ' || on_date || coalesce(': ' || note, '')",
    ),
    "term": (
        "terms",
        {
            "text": "text",
            "due": "due",
            "kind": "kind",
            "amount": "amount",
            "remind_days": "remind_days",
            "status": "status",
        },
        "text",
    ),
    "update": ("updates", {}, "signal || ': ' || text"),
}


def _known(values: Mapping[str, Any], columns: Sequence[str]) -> None:
    unknown = set(values) - set(columns)
    if unknown:  # a programming error, not a user's
        raise AssertionError(f"no such columns: {sorted(unknown)}")


def _sql_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Word):
        return value.value
    return value
