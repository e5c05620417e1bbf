"""Checking, backing up and restoring the database file."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from pmsync.errors import BadInput, StorageError
from pmsync.storage import connection
from pmsync.storage.schema import APPLICATION_ID, SCHEMA_VERSION


@dataclass
class Health:
    path: Path
    schema_version: int
    integrity: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.integrity == ["ok"]
            and not self.foreign_keys
            and self.schema_version == SCHEMA_VERSION
        )


def check(conn: sqlite3.Connection, path: Path) -> Health:
    """Integrity, foreign keys and schema version: what `pmsync db check` reports."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    health = Health(path, version)
    health.integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    health.foreign_keys = [
        f"{table} row {rowid} points at a missing {parent}"
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
    ]
    for table in ("pms", "timeoff", "deals", "estimates", "worklog", "terms", "updates"):
        health.counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return health


def _private(path: Path) -> None:
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def backup(conn: sqlite3.Connection, target: Path, overwrite: bool = False) -> None:
    """SQLite's online backup: a consistent copy even while others write."""
    if target.exists() and not overwrite:
        raise BadInput(f"{target} exists; give --force to replace it")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        _private(tmp)
        dest = sqlite3.connect(tmp)
        try:
            conn.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            dest.close()
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write the backup {target}: {exc.strerror}") from None
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise connection.translate(exc, target) from None


def validate_backup(source: Path) -> None:
    """Refuse anything that is not a readable, intact pmsync database."""
    if not source.is_file():
        raise BadInput(f"{source} is not a file")
    try:
        connection.inspect_existing(source)
    except StorageError as exc:
        text = str(exc)
        if "another program" in text:
            text = f"{source} is not a pmsync database (an SQLite database of another program)"
        elif "not an SQLite file" in text:
            text = f"{source} is not a pmsync database (not an SQLite file)"
        raise BadInput(f"{text.split('; ')[0]}; nothing was restored") from None
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            app = src.execute("PRAGMA application_id").fetchone()[0]
            ok = src.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise BadInput(f"{source} is not a pmsync database ({exc}); nothing was restored") from None
    if app != APPLICATION_ID:
        raise BadInput(f"{source} is not a pmsync database; nothing was restored")
    if ok != "ok":
        raise BadInput(f"{source} is damaged ({ok}); nothing was restored")


def restore(conn: sqlite3.Connection, source: Path) -> None:
    """Replace the database's content with the backup's, in one step for other readers."""
    validate_backup(source)
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        src.backup(conn)
    finally:
        src.close()
