"""What can go wrong, as types: each carries the facts, the CLI chooses the words.

Two families, each with its exit code from the contract: `BadInput` (exit 2: a usage error,
an invalid value, an unknown id or name, a move the rules forbid; nothing was written) and
`StorageError` (exit 1: the database could not be used). A plain `BadInput(text)` is a value
check whose text names the value the caller gave; everything else is a subclass with fields,
turned into a sentence by `pmsync.cli.messages`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path


class PmsyncError(Exception):
    """Base: the exit code that goes with the failure."""

    exit_code = 1


class BadInput(PmsyncError):
    """A usage error, invalid value, unknown id or name, or a move the rules forbid (exit 2)."""

    exit_code = 2


class StorageError(PmsyncError):
    """The database could not be used: unreadable, foreign, too new, busy, or full (exit 1)."""

    exit_code = 1


# -- records that are not there, or already are ------------------------------------------


class UnknownDeal(BadInput):
    def __init__(self, deal_id: int) -> None:
        super().__init__(f"unknown deal {deal_id}")
        self.deal_id = deal_id


class UnknownTerm(BadInput):
    def __init__(self, term_id: int) -> None:
        super().__init__(f"unknown term {term_id}")
        self.term_id = term_id


class UnknownRecord(BadInput):
    """A worklog entry, update or time off that isn't there: `kind` says which."""

    def __init__(self, kind: str, record_id: int) -> None:
        super().__init__(f"unknown {kind} {record_id}")
        self.kind, self.record_id = kind, record_id


class NothingToReopen(BadInput):
    def __init__(self, term_id: int) -> None:
        super().__init__(f"term {term_id} is open")
        self.term_id = term_id


class DealHasWork(BadInput):
    """`deal remove` of a deal with hours logged or a delivery, without --force."""

    def __init__(self, deal_id: int, logged: float, delivered: bool) -> None:
        super().__init__(f"deal {deal_id} has work recorded")
        self.deal_id, self.logged, self.delivered = deal_id, logged, delivered


class NoTimeOffThere(BadInput):
    def __init__(self, name: str, start: date, end: date) -> None:
        super().__init__(f"{name} has no time off from {start} to {end}")
        self.name, self.start, self.end = name, start, end


class ArchivedPM(BadInput):
    """A PM who left (archived) named for new work."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is archived")
        self.name = name


class UnknownPM(BadInput):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown PM {name!r}")
        self.name, self.known = name, tuple(known)


class UnknownSetting(BadInput):
    def __init__(self, key: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown setting {key!r}")
        self.key, self.known = key, tuple(known)


class DuplicatePM(BadInput):
    def __init__(self, name: str) -> None:
        super().__init__(f"duplicate PM {name!r}")
        self.name = name


class DuplicateExternalId(BadInput):
    def __init__(self, external_id: str) -> None:
        super().__init__(f"duplicate external id {external_id!r}")
        self.external_id = external_id


class NoPMs(BadInput):
    def __init__(self) -> None:
        super().__init__("no PMs recorded")


class NoHistoryForKind(BadInput):
    def __init__(self, kind: str, known: Sequence[str]) -> None:
        super().__init__(f"no delivered deals of kind {kind!r}")
        self.kind, self.known = kind, tuple(known)


# -- the deal life cycle ---------------------------------------------------------------


class ForbiddenMove(BadInput):
    """A stage move the life cycle does not allow (`reason` says which rule)."""

    def __init__(self, deal_id: int, stage: str, to: str, reason: str) -> None:
        super().__init__(f"deal {deal_id}: {stage} -> {to} ({reason})")
        self.deal_id, self.stage, self.to, self.reason = deal_id, stage, to, reason


class UseVerb(BadInput):
    """A move that has its own command (sign, deliver, lose) asked through `deal update`."""

    def __init__(self, deal_id: int, to: str) -> None:
        super().__init__(f"deal {deal_id}: move to {to} has its own command")
        self.deal_id, self.to = deal_id, to


class DealClosed(BadInput):
    """An action meant for open deals (`action`: change, log, estimate, check) on a closed one."""

    def __init__(self, deal_id: int, stage: str, action: str) -> None:
        super().__init__(f"deal {deal_id} is {stage}")
        self.deal_id, self.stage, self.action = deal_id, stage, action


class NoEstimate(BadInput):
    def __init__(self, deal_id: int) -> None:
        super().__init__(f"deal {deal_id} has no estimate")
        self.deal_id = deal_id


class TermNotOpen(BadInput):
    def __init__(self, term_id: int, status: str) -> None:
        super().__init__(f"term {term_id} is {status}")
        self.term_id, self.status = term_id, status


class PMHasOpenDeals(BadInput):
    def __init__(self, name: str, deal_ids: Sequence[int]) -> None:
        super().__init__(f"{name} has open deals")
        self.name, self.deal_ids = name, tuple(deal_ids)


class Conflict(BadInput):
    """A record changed between reading it and writing: another writer got there first."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} changed while this command ran")
        self.what = what


# -- files -----------------------------------------------------------------------------


class TargetExists(BadInput):
    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists")
        self.path = path


class CannotForecast(BadInput):
    """One PM's queue cannot be scheduled. `reason`: no-capacity (too few hours a week to
    count), or horizon (the work would run past the calendar's horizon: a huge effort, or
    time off that never ends). Raised for that PM alone: the rest of the team is forecast."""

    def __init__(self, pm: str, reason: str) -> None:
        super().__init__(f"cannot forecast {pm}'s queue ({reason})")
        self.pm, self.reason = pm, reason


class NoForecast(BadInput):
    """No PM's queue could take the work: `left_out` holds each PM and the reason."""

    def __init__(self, left_out: Sequence[tuple[str, str]]) -> None:
        super().__init__("no PM's queue can be forecast")
        self.left_out = tuple(left_out)


class LongTimeOff(BadInput):
    """Time off longer than a year, not said to be meant."""

    def __init__(self, start: date, end: date, days: int) -> None:
        super().__init__(f"time off from {start} to {end} is {days} days")
        self.start, self.end, self.days = start, end, days


class NoWorkdays(BadInput):
    """A working-week pattern that names no day at all."""

    def __init__(self) -> None:
        super().__init__("no working day")


class MixedDateOrder(BadInput):
    """A CSV date column with both day-first and month-first dates in it."""

    def __init__(self) -> None:
        super().__init__("a date column mixes day-first and month-first dates")


class ImportNeedsEmpty(BadInput):
    """`import all` into a database that holds records."""

    def __init__(self, location: str) -> None:
        super().__init__(f"{location} holds records")
        self.location = location


class ImportMismatch(BadInput):
    """A whole-database document that can't be loaded as it is: `why` says what."""

    def __init__(self, source: str, why: str) -> None:
        super().__init__(f"{source}: {why}")
        self.source, self.why = source, why


class NotADemo(BadInput):
    """`demo --demo-db` naming a file the demo did not build: it is never replaced."""

    def __init__(self, location: str) -> None:
        super().__init__(f"{location} is not a demo database")
        self.location = location


class RestoreOverData(BadInput):
    """`db restore` without --force over a database that holds records."""

    def __init__(self, location: str) -> None:
        super().__init__(f"{location} holds records")
        self.location = location


class NotABackup(BadInput):
    """A file offered to `db restore` that is not a sound pmsync database: `reason` is
    not-a-file, damaged, unreadable, foreign, or `cause` (why the file itself was refused)."""

    def __init__(
        self, path: Path, reason: str, detail: str = "", cause: NotPmsyncFile | None = None
    ) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason, self.detail, self.cause = path, reason, detail, cause


class NotPmsyncFile(StorageError):
    """A file pmsync must not touch. `reason`: folder, unreadable, not-sqlite, foreign, newer."""

    def __init__(
        self, path: Path, reason: str, detail: str = "", version: int = 0, known: int = 0
    ) -> None:
        super().__init__(f"{path}: {reason}")
        self.path, self.reason, self.detail = path, reason, detail
        self.version, self.known = version, known  # for "newer": the file's and ours


class DatabaseFailure(StorageError):
    """SQLite refused: `kind` is busy, full, io, readonly, damaged, unopenable or other."""

    def __init__(self, path: Path, kind: str, detail: str = "") -> None:
        super().__init__(f"{path}: {kind} ({detail})")
        self.path, self.kind, self.detail = path, kind, detail


class EmptyDatabaseName(BadInput):
    def __init__(self) -> None:
        super().__init__("the database's name is empty")


class NoDatabase(StorageError):
    """A command that only reads found no database where it looked (it never makes one)."""

    def __init__(self, location: str) -> None:
        super().__init__(f"no pmsync database at {location}")
        self.location = location


class CannotCreate(StorageError):
    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(f"cannot create {path}: {detail}")
        self.path, self.detail = path, detail


# -- a shared database on a cluster ------------------------------------------------------


class BadClusterAddress(BadInput):
    """A `--db rqlite://...` that cannot be read: `reason` is scheme or node (`part`)."""

    def __init__(self, shown: str, reason: str, part: str = "") -> None:
        super().__init__(f"bad cluster address {shown} ({reason})")
        self.shown, self.reason, self.part = shown, reason, part


class ClusterError(StorageError):
    """The cluster could not be used. `kind`: unreachable, no-leader, refused (credentials),
    forbidden (the user lacks a permission), tls (its certificate is not trusted), no-fk
    (foreign keys not enforced), foreign, newer, or failed. `location` never holds a password."""

    def __init__(
        self,
        location: str,
        kind: str,
        detail: str = "",
        user: str | None = None,
        version: int = 0,
        known: int = 0,
    ) -> None:
        super().__init__(f"{location}: {kind} ({detail})")
        self.location, self.kind, self.detail, self.user = location, kind, detail, user
        self.version, self.known = version, known
