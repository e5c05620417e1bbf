"""Opening the one SQLite file: where it is, whether it is ours, and its transactions."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from pmsync.errors import CannotCreate, DatabaseFailure, NoDatabase, NotPmsyncFile
from pmsync.storage.schema import APPLICATION_ID, SCHEMA_VERSION, migrate

BUSY_TIMEOUT_S = 10.0
_SQLITE_MAGIC = b"SQLite format 3\x00"


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("pmsync", appauthor=False)) / "pmsync.db"


def resolve_path(chosen: str | None) -> Path:
    """The file named (by --db or PMSYNC_DB), else the one in the per-user data folder."""
    return Path(chosen).expanduser() if chosen else default_path()


def busy_timeout() -> float:
    try:
        return float(os.environ.get("PMSYNC_BUSY_TIMEOUT", BUSY_TIMEOUT_S))
    except ValueError:
        return BUSY_TIMEOUT_S


def translate(exc: sqlite3.Error, path: Path) -> DatabaseFailure:
    """A sqlite3 failure as a typed error: the one place SQLite's messages are read."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return DatabaseFailure(path, "busy")
    if "full" in text:
        return DatabaseFailure(path, "full")
    if "disk i/o" in text:
        # A size limit or a full disk often surfaces as an I/O error, not as SQLITE_FULL.
        return DatabaseFailure(path, "io", str(exc))
    if "readonly" in text or "read-only" in text:
        return DatabaseFailure(path, "readonly")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseFailure(path, "damaged", str(exc))
    if "unable to open" in text:
        return DatabaseFailure(path, "unopenable")
    return DatabaseFailure(path, "other", str(exc))


def inspect_existing(path: Path) -> None:
    """Refuse, without writing a byte, any file that is not a pmsync database we can read."""
    if path.is_dir():
        raise NotPmsyncFile(path, "folder")
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise NotPmsyncFile(path, "unreadable", str(exc.strerror)) from None
    if not head:
        return
    if not head.startswith(_SQLITE_MAGIC):
        raise NotPmsyncFile(path, "not-sqlite")
    app_id = int.from_bytes(head[68:72], "big")
    version = int.from_bytes(head[60:64], "big")
    if app_id != APPLICATION_ID:
        if app_id == 0 and version == 0 and _has_no_tables(path):
            return  # an empty SQLite file: safe to make it ours
        raise NotPmsyncFile(path, "foreign")
    if version > SCHEMA_VERSION:
        raise NotPmsyncFile(path, "newer", version=version, known=SCHEMA_VERSION)


def _has_no_tables(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _create_private(path: Path) -> None:
    """Create the file readable by its owner only; SQLite gives -wal/-shm the same mode.
    Folders made on the way are the owner's only too."""
    try:
        # mkdir(parents=True) gives the folders above the last one the default mode.
        missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
        for folder in reversed(missing):
            folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CannotCreate(path, str(exc.strerror)) from None


def connect(path: Path, create: bool = True) -> sqlite3.Connection:
    """Open (migrating when needed) the pmsync database at `path`; a missing file is
    created only with `create` (a command that writes), else NoDatabase."""
    try:
        exists = path.exists()
    except OSError as exc:
        raise NotPmsyncFile(path, "unreachable", str(exc.strerror)) from None
    if exists:
        inspect_existing(path)
        created = False
    elif not create:
        raise NoDatabase(str(path))
    else:
        _create_private(path)
        created = True
    try:
        # Transactions are ours: BEGIN IMMEDIATE for writes, so no autocommit games.
        conn = sqlite3.connect(path, timeout=busy_timeout(), isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout() * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate_in_place(conn, path, created)
    except sqlite3.Error as exc:
        raise translate(exc, path) from None
    return conn


def migrate_in_place(conn: sqlite3.Connection, path: Path, force: bool = False) -> None:
    """Bring an older file up to this pmsync's schema, in one transaction."""
    if force or conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
        with transaction(conn, path):
            migrate(conn)


@contextlib.contextmanager
def transaction(
    conn: sqlite3.Connection, path: Path, write: bool = True, commit: bool = True
) -> Iterator[None]:
    """One command, one transaction: all of it lands or none of it does.

    Writers take the lock up front (BEGIN IMMEDIATE) so that two read-modify-write
    commands never deadlock half way; readers get one consistent snapshot.
    """
    try:
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.Error as exc:
        raise translate(exc, path) from None
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    if not commit:  # a dry run: everything was checked, nothing is kept
        conn.execute("ROLLBACK")
        return
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise translate(exc, path) from None
