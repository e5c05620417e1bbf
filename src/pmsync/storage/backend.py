"""The seam between pmsync's queries and the database that runs them.

A backend does five things: reads (in one consistent view per command), one atomic batch of
writes, backup, restore, and check. A batch is a list of steps sent whole: it lands entirely
or not at all, and nothing in it depends on a value read earlier in Python. What a command
decided from its reads is re-stated in the batch as SQL: a `Require` step aborts the batch
when a precondition no longer holds (another writer got there first), old values are copied
by `INSERT ... SELECT`, and ids chain through `last_insert_rowid()` and `RETURNING`. That is
what lets the same batch run on a local file (inside `BEGIN IMMEDIATE`) and on a replicated
cluster that has no interactive transactions.

Two backends: a local SQLite file (`storage.sqlite_file`) and an rqlite cluster
(`storage.rqlite_cluster`); `open_backend` picks one from what `--db` names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pmsync.errors import PmsyncError


# The steps are named tuples: defining a dataclass costs about a millisecond at every start.
class Write(NamedTuple):
    """One statement. `returns`: keep the rows it returns (`RETURNING`); `error`: what a
    constraint failure in it means (a UNIQUE name taken, a foreign key to nothing...);
    `recall`: for a statement that returns something other than the id of the one row it
    made, an SQL expression (and its parameters) giving the same rows as a JSON array of
    arrays, evaluated right after it (a cluster records a batch's results that way)."""

    sql: str
    params: Sequence[Any] = ()
    returns: bool = False
    error: PmsyncError | None = None
    recall: tuple[str, Sequence[Any]] | None = None


class WriteMany(NamedTuple):
    """One statement run for each row of parameters (bulk inserts)."""

    sql: str
    rows: Sequence[Sequence[Any]] = ()
    error: PmsyncError | None = None


class Require(NamedTuple):
    """A precondition: `condition`, an SQL expression, must hold when the batch runs, else
    the whole batch is abandoned and `error` raised. It runs as an insert into the empty
    `preconditions` table whose CHECK refuses every row: a row is inserted only when the
    condition fails."""

    condition: str
    params: Sequence[Any]
    error: PmsyncError

    @property
    def sql(self) -> str:
        # coalesce: a condition on a row that is gone (NULL) does not hold either.
        return (
            f"INSERT INTO preconditions (holds) SELECT 0 WHERE NOT coalesce(({self.condition}), 0)"
        )


Step = Write | WriteMany | Require


class Health:
    """What `db check` found. A plain class: a dataclass costs about a millisecond at every
    start, and every command imports this module."""

    def __init__(self, location: str, schema_version: int, expected_version: int) -> None:
        self.location = location
        self.schema_version = schema_version
        self.expected_version = expected_version
        self.integrity: list[str] = []
        self.foreign_keys: list[str] = []
        self.counts: dict[str, int] = {}
        # A cluster's nodes: id -> leader, follower, read-only or unreachable.
        self.nodes: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return (
            self.integrity == ["ok"]
            and not self.foreign_keys
            and self.schema_version == self.expected_version
            and "unreachable" not in self.nodes.values()
        )


class Fetched:
    """A read's rows, fetched whole, shaped like a cursor (`description`, iteration,
    `fetchone`, `fetchall`). A plain class: this module is imported at every start."""

    def __init__(self, description: Any, rows: list[Any]) -> None:
        self.description = description
        self._rows = rows
        self._next = 0

    def __iter__(self) -> Any:
        rows, self._next = self._rows[self._next :], len(self._rows)
        return iter(rows)

    def fetchone(self) -> Any:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[Any]:
        return list(self)


# The tables a person's records live in: what `db check` counts and `restore` protects.
RECORD_TABLES = ("pms", "timeoff", "deals", "estimates", "worklog", "terms", "updates")


def health_of(backend: Backend, expected_version: int) -> Health:
    """Schema version, integrity, foreign keys and counts, read in one go."""
    rows = backend.query_many(
        [
            ("PRAGMA user_version", ()),
            ("PRAGMA integrity_check", ()),
            ("PRAGMA foreign_key_check", ()),
            *((f"SELECT count(*) FROM {t}", ()) for t in RECORD_TABLES),
        ]
    )
    health = Health(backend.location, rows[0].fetchall()[0][0], expected_version)
    health.integrity = [r[0] for r in rows[1]]
    health.foreign_keys = [
        f"{table} row {rowid} points at a missing {parent}" for table, rowid, parent, _ in rows[2]
    ]
    for table, counted in zip(RECORD_TABLES, rows[3:], strict=True):
        health.counts[table] = counted.fetchall()[0][0]
    return health


# The interfaces are for the type checker only: defining a Protocol class at run time costs
# as much as a dataclass, and nothing checks them with isinstance.
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from contextlib import AbstractContextManager
    from pathlib import Path
    from typing import Protocol

    class Rows(Protocol):
        """What a read returns: rows as tuples, with the column names in `description`."""

        @property
        def description(self) -> Any: ...

        def __iter__(self) -> Iterator[Any]: ...

        def fetchone(self) -> Any: ...

        def fetchall(self) -> list[Any]: ...

    class Backend(Protocol):
        """Where pmsync's records live."""

        location: str

        def snapshot(self) -> AbstractContextManager[None]:
            """Reads inside see one consistent state of the database."""
            ...

        def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows: ...

        def query_many(
            self, statements: Sequence[tuple[str, Sequence[Any] | dict[str, Any]]]
        ) -> Sequence[Rows]:
            """Several reads at once (one request on a cluster), in one state. The last
            result may be read as it is iterated: read it before the next query."""
            ...

        def aside(self, job: str) -> Callable[[], Any] | None:
            """A read (`storage.aside.JOBS`) started in another process on this snapshot,
            before anything is read in it; None when the caller should read it itself."""
            ...

        def apply(self, steps: Sequence[Step], dry_run: bool = False) -> list[list[tuple]]:
            """Run the steps as one atomic batch; the rows each step returned. `dry_run`: run
            every check and statement, then keep nothing."""
            ...

        def backup(self, target: Path, overwrite: bool = False) -> None: ...

        def restore(self, source: Path) -> None: ...

        def check(self) -> Health: ...

        def close(self) -> None: ...


# How `--db` names a cluster: plain HTTP, or HTTPS.
CLUSTER_SCHEMES = ("rqlite://", "rqlite+https://")


def is_cluster(db: str | None) -> bool:
    return db is not None and db.startswith(CLUSTER_SCHEMES)


def open_backend(db: str | None, path: Path, create: bool = True) -> Backend:
    """The cluster `db` names (`rqlite://...`), else the SQLite file at `path`. Without
    `create` (a command that only reads), a database that isn't there yet is NoDatabase."""
    if is_cluster(db):
        assert db is not None
        from pmsync.storage.rqlite_cluster import RqliteCluster

        return RqliteCluster(db, create=create)
    from pmsync.storage.sqlite_file import SqliteFile

    return SqliteFile(path, create)
