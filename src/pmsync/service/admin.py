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
    with session.store(create=False) as store:
        return store.backend.check()


def backup(session: Session, target: Path, overwrite: bool = False) -> None:
    with session.reading() as store:
        store.backend.backup(target, overwrite)


def restore(session: Session, source: Path, force: bool = False) -> Path | None:
    """Replace the database (a file or a cluster) with a backup, refusing anything that is
    not a sound pmsync database, upgraded to this pmsync's schema. Over a database that
    holds records only with `force`, and those records are first copied to a backup beside
    it (beside `source` for a cluster): returns that copy's path, if one was made."""
    from pmsync.errors import RestoreOverData
    from pmsync.storage.sqlite_file import validate_backup

    validate_backup(source)
    with session.store() as store:
        kept = None
        if store.holds_records():
            if not force:
                raise RestoreOverData(session.location)
            kept = _replaced_copy_path(session, source)
            store.backend.backup(kept)
        store.backend.restore(source)
    return kept


def _replaced_copy_path(session: Session, source: Path) -> Path:
    """`pmsync.replaced-20270104-091500.db` beside the database (a file) or the backup
    being restored (a cluster); never an existing file."""
    folder = source.resolve().parent if session.shared else session.path.resolve().parent
    stem = "pmsync-cluster" if session.shared else session.path.stem
    stamp = session.now().replace("-", "").replace(":", "").replace("T", "-")
    found = folder / f"{stem}.replaced-{stamp}.db"
    n = 1
    while found.exists():
        n += 1
        found = folder / f"{stem}.replaced-{stamp}-{n}.db"
    return found


def build_demo(
    session: Session, size: Size | None = None, seed: int = 7, legacy: bool = False
) -> dict[str, int]:
    """A fresh sample team at the session's database, which must be new or a demo database
    (`legacy`: the caller knows it is the demo's own default file)."""
    from pmsync.errors import NotADemo
    from pmsync.sample import generate, summary

    assert not session.shared, "the demo team is built in a local file"

    path = session.path
    if path.exists() and not _is_demo(session, legacy):
        raise NotADemo(str(path))
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rows = generate(session.today, size, seed)
    with session.store() as store:
        batch = session.batch()
        for table, records in rows.items():
            batch.insert_rows(table, records)
        batch.mark_demo()
        store.apply(batch.steps)
    return summary(rows)


def _is_demo(session: Session, legacy: bool) -> bool:
    """Built by the demo (and marked so), or, with `legacy`, the demo's own default file
    from before demo databases were marked. Anything else, a team's database or a file
    of another program, is never replaced."""
    with session.reading() as store:  # a file that is not pmsync's is refused here
        return legacy or store.is_demo()
