"""The local backend: one SQLite file, a batch per `BEGIN IMMEDIATE` transaction."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmsync.errors import DatabaseFailure, NotABackup, NotPmsyncFile, TargetExists
from pmsync.storage import connection
from pmsync.storage.backend import Health, Step, WriteMany
from pmsync.storage.schema import APPLICATION_ID, SCHEMA_VERSION

if TYPE_CHECKING:
    from pmsync.storage.backend import Rows

COUNTED_TABLES = ("pms", "timeoff", "deals", "estimates", "worklog", "terms", "updates")


class SqliteFile:
    """A pmsync database in one local file (opened, created and migrated on construction).

    Every sqlite3 failure leaves through `connection.translate`: the one place where SQLite's
    messages become pmsync's typed errors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)
        self.conn = connection.connect(path)

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
        conn = self.conn
        with self._translated():
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            health = Health(str(self.path), version, SCHEMA_VERSION)
            health.integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            health.foreign_keys = [
                f"{table} row {rowid} points at a missing {parent}"
                for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
            ]
            for table in COUNTED_TABLES:
                health.counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return health

    def backup(self, target: Path, overwrite: bool = False) -> None:
        """SQLite's online backup: a consistent copy even while others write."""
        if target.exists() and not overwrite:
            raise TargetExists(target)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        try:
            fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            dest = sqlite3.connect(tmp)
            try:
                self.conn.backup(dest)
                dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            finally:
                dest.close()
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise DatabaseFailure(target, "backup", str(exc.strerror)) from None
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise connection.translate(exc, target) from None

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
