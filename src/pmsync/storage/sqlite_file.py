"""The local backend: one SQLite file, a batch per `BEGIN IMMEDIATE` transaction."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmsync.cores import workers
from pmsync.errors import DatabaseFailure, NotABackup, NotPmsyncFile, TargetExists
from pmsync.storage import connection
from pmsync.storage.backend import Fetched, Health, Step, WriteMany, health_of
from pmsync.storage.schema import APPLICATION_ID, SCHEMA_VERSION

if TYPE_CHECKING:
    from pmsync.storage.backend import Rows


# A file smaller than this reads its history in well under a tenth of a second: not worth a
# second process.
ASIDE_MIN_BYTES = 32 << 20


class SqliteFile:
    """A pmsync database in one local file (opened, created and migrated on construction).

    Every sqlite3 failure leaves through `connection.translate`: the one place where SQLite's
    messages become pmsync's typed errors."""

    def __init__(self, path: Path, create: bool = True) -> None:
        self.path = path
        self.location = str(path)
        self.conn = connection.connect(path, create)

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise connection.translate(exc, self.path) from None

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._translated(), connection.transaction(self.conn, self.path, write=False):
            yield

    def query(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        with self._translated():
            return self.conn.execute(sql, params)

    def query_many(
        self, statements: Sequence[tuple[str, Sequence[Any] | dict[str, Any]]]
    ) -> list[Rows]:
        # Fetched at once, but for the last, which is read as it is iterated: the forecast
        # puts its two hundred thousand delivered deals there, so they never stand as a list.
        with self._translated():
            *first, last = [self.conn.execute(s, p) for s, p in statements]
            return [*(Fetched(c.description, c.fetchall()) for c in first), last]

    def aside(self, job: str) -> Callable[[], Any] | None:
        """`job` (a read `storage.aside` knows) started in another process on this snapshot,
        before anything is read in it; the function that gives its result, or None when the
        file is too small for that to pay, the command may use one process only, or it
        cannot be done (then the caller reads it itself)."""
        try:
            small = self.path.stat().st_size < ASIDE_MIN_BYTES
        except OSError:
            return None
        if small or workers() < 2 or os.name != "posix":
            return None
        from pmsync.storage import aside

        with self._translated():
            return aside.start(self.path, self.conn, job)

    def apply(self, steps: Sequence[Step], dry_run: bool = False) -> list[list[tuple]]:
        results: list[list[tuple]] = []
        conn = self.conn
        with (
            self._translated(),
            connection.transaction(conn, self.path, write=True, commit=not dry_run),
        ):
            # A deal points at its signing estimate and an estimate at its deal: foreign
            # keys are checked at commit, when both are in.
            conn.execute("PRAGMA defer_foreign_keys = ON")
            for step in steps:
                try:
                    if isinstance(step, WriteMany):
                        conn.executemany(step.sql, step.rows)
                        results.append([])
                        continue
                    cur = conn.execute(step.sql, step.params)
                    results.append(cur.fetchall() if getattr(step, "returns", False) else [])
                except sqlite3.IntegrityError:
                    if step.error is not None:
                        raise step.error from None
                    raise
        return results

    # -- looking after the file ----------------------------------------------------------
    def check(self) -> Health:
        return health_of(self, SCHEMA_VERSION)

    def backup(self, target: Path, overwrite: bool = False) -> None:
        """SQLite's online backup: a consistent copy even while others write."""
        if target.exists() and not overwrite:
            raise TargetExists(target)
        with _partial(target) as tmp:
            dest = sqlite3.connect(tmp)
            try:
                self.conn.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dest.close()

    def restore(self, source: Path) -> None:
        """Replace the database's content with the backup's, in one step for other readers,
        and bring a backup from an older pmsync up to this schema."""
        validate_backup(source)
        with self._translated():
            src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
            try:
                src.backup(self.conn)
            finally:
                src.close()
            connection.migrate_in_place(self.conn, self.path)


def validate_backup(source: Path) -> None:
    """Refuse anything that is not a readable, intact pmsync database."""
    if not source.is_file():
        raise NotABackup(source, "not-a-file")
    try:
        connection.inspect_existing(source)
    except NotPmsyncFile as exc:
        raise NotABackup(source, exc.reason, cause=exc) from None
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app = src.execute("PRAGMA application_id").fetchone()[0]
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise NotABackup(source, "unreadable", str(exc)) from None
    if app != APPLICATION_ID:
        raise NotABackup(source, "foreign")
    if ok != "ok":
        raise NotABackup(source, "damaged", ok)


@contextlib.contextmanager
def _partial(target: Path) -> Iterator[Path]:
    """A private file beside `target` to fill, which becomes `target` only when whole."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DatabaseFailure(target, "backup", str(exc.strerror)) from None
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise connection.translate(exc, target) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def settle_copy(data: bytes, target: Path) -> None:
    """Write a database another backend sent as bytes to `target`, as a self-contained
    file, only once it is checked to be a sound pmsync database."""
    with _partial(target) as tmp:
        tmp.write_bytes(data)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = DELETE")
        finally:
            conn.close()
        validate_backup(tmp)


def upgraded_copy(source: Path, copy: Path) -> None:
    """A self-contained copy of the pmsync file `source` (its -wal included), at this
    pmsync's schema, ready to send to a cluster."""
    validate_backup(source)
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        dest = sqlite3.connect(copy, isolation_level=None)
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")
            connection.migrate_in_place(dest, copy)
        finally:
            src.close()
            dest.close()
    except sqlite3.Error as exc:
        raise connection.translate(exc, source) from None
