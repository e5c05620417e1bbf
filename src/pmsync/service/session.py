"""A session: which database, which day is today, and the clock that stamps records."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from pmsync.storage.store import Store

if TYPE_CHECKING:
    from pmsync.storage.batch import Batch


def _time_of_day() -> time:
    return datetime.now().time()


def database_path(db: str | None) -> Path:
    """The file `db` names, else the one in the per-user data folder. An empty name is
    refused: it is a mistake (an unset variable), not a wish for the default."""
    from pmsync.storage.connection import resolve_path

    if db is not None and not db.strip():
        from pmsync.errors import EmptyDatabaseName

        raise EmptyDatabaseName()

    return resolve_path(db)


def names_cluster(db: str | None) -> bool:
    """True when `db` is a cluster's address (rqlite://...) rather than a file."""
    from pmsync.storage.backend import is_cluster

    return is_cluster(db)


def database_location(db: str | None) -> str:
    """Where the database is, as shown to people: a file's path, or a cluster's address
    (never with its password)."""
    if names_cluster(db):
        from pmsync.storage.rqlite_client import Address

        assert db is not None
        return str(Address(db))
    return str(database_path(db))


class Session:
    """`db`: the database as the user named it (None: the per-user default); `today`: the
    date taken as today everywhere; `clock`: the time of day that stamps new records.
    (A plain class: every command makes one, and a dataclass definition costs a
    millisecond at every start.)"""

    def __init__(
        self, db: str | None, today: date, clock: Callable[[], time] = _time_of_day
    ) -> None:
        self.db = db
        self.today = today
        self.clock = clock

    def __repr__(self) -> str:
        return f"Session(db={self.db!r}, today={self.today!r})"

    @property
    def path(self) -> Path:
        return database_path(self.db)

    @property
    def shared(self) -> bool:
        """True when the database is a cluster the team shares, not a local file."""
        return names_cluster(self.db)

    @property
    def location(self) -> str:
        return database_location(self.db)

    def now(self) -> str:
        """A timestamp on `today` (which --today may fix) at the clock's time of day."""
        return datetime.combine(self.today, self.clock()).isoformat(timespec="seconds")

    def batch(self) -> Batch:
        # Imported here: a command that only reads never needs the write builders.
        from pmsync.storage.batch import Batch

        return Batch(self.now())

    @contextlib.contextmanager
    def store(self, create: bool = True) -> Iterator[Store]:
        """The database, opened (migrated when older; created on first use only with
        `create`, which a command that only reads never asks). A use case reads inside
        `store.snapshot()`, then writes one batch with `store.apply`."""
        from pmsync.storage.backend import open_backend

        backend = open_backend(self.db, self.path, create)
        try:
            yield Store(backend)
        finally:
            backend.close()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Store]:
        """The database for a command that only reads: one consistent view throughout;
        a database that isn't there is NoDatabase, never made."""
        with self.store(create=False) as store, store.snapshot():
            yield store
