"""Looking after the database and the team's settings; the demo team."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pmsync.core.settings import Settings, parse_setting

if TYPE_CHECKING:
    from pmsync.sample import Size
    from pmsync.service.session import Session
    from pmsync.storage.backend import Health


def settings(session: Session) -> Settings:
    with session.reading() as store:
        return store.settings()


def set_setting(session: Session, key: str, text: str) -> Any:
    """Change a setting for everyone who uses this database; returns the typed value."""
    typed = parse_setting(key, text)
    with session.store() as store:
        batch = session.batch()
        batch.set_setting(key, typed)
        store.apply(batch.steps)
    return typed


def check(session: Session) -> Health:
    """Integrity, foreign keys and schema version."""
    with session.store() as store:
        return store.backend.check()


def backup(session: Session, target: Path, overwrite: bool = False) -> None:
    with session.reading() as store:
        store.backend.backup(target, overwrite)


def restore(session: Session, source: Path) -> None:
    """Replace the database with a backup (refusing anything that is not a sound pmsync
    database), upgraded to this pmsync's schema."""
    from pmsync.storage.sqlite_file import validate_backup

    validate_backup(source)
    with session.store() as store:
        store.backend.restore(source)


def build_demo(session: Session, size: Size | None = None, seed: int = 7) -> dict[str, int]:
    """A fresh sample team at the session's database, which is replaced."""
    from pmsync.sample import generate, summary

    path = session.path
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rows = generate(session.today, size, seed)
    with session.store() as store:
        batch = session.batch()
        for table, records in rows.items():
            batch.insert_rows(table, records)
        store.apply(batch.steps)
    return summary(rows)
