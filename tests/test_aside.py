"""History read by another process on the same snapshot as this one's."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest

from pmsync import cores
from pmsync.service.session import Session
from pmsync.storage import sqlite_file

TODAY = date(2027, 1, 11)


@pytest.fixture(scope="module")
def team_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pmsync.sample import Size
    from pmsync.service.admin import build_demo

    path = tmp_path_factory.mktemp("aside") / "team.db"
    build_demo(Session(str(path), TODAY), Size(pms=6, open_deals=60, delivered=300), seed=7)
    return path


@pytest.fixture
def aside_always(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_file, "ASIDE_MIN_BYTES", 0)
    monkeypatch.setenv(cores.WORKERS_ENV, "2")


def _summary(history):  # type: ignore[no-untyped-def]
    return history.cells, history.ranged, {k: list(v) for k, v in history.actuals_by_kind.items()}


def test_history_read_aside_is_the_history_read_here(team_db: Path, aside_always: None) -> None:
    with Session(str(team_db), TODAY).reading() as store:
        started = store.backend.aside("history")
        assert started is not None  # another process is at it
        here = store.history()
        there = started()
    assert there is not None and _summary(there) == _summary(here)
    assert here.cells  # a history worth comparing


def test_a_commit_while_it_starts_lands_after_both_snapshots(
    team_db: Path, aside_always: None, tmp_path: Path
) -> None:
    import shutil

    db = tmp_path / "copy.db"
    shutil.copy(team_db, db)
    writer = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
    (pm_id,) = writer.execute("SELECT id FROM pms LIMIT 1").fetchone()
    wrote = threading.Event()

    def deliver_one_more() -> None:
        # Waits for the write lock the reader holds until both snapshots have started.
        writer.execute(
            "INSERT INTO deals (title, client, stage, pm_id, actual_hours, created) "
            "VALUES ('late', 'X', 'delivered', ?, 10, '2027-01-11')",
            (pm_id,),
        )
        wrote.set()

    with Session(str(db), TODAY).reading() as store:
        history = store.history_aside()
        thread = threading.Thread(target=deliver_one_more)
        thread.start()
        there = history()
        thread.join(30)
        assert wrote.is_set()  # it landed while this snapshot was still open
        here = store.history()
        count = store.backend.query(
            "SELECT count(*) FROM deals WHERE stage = 'delivered'"
        ).fetchone()[0]
    assert _summary(there) == _summary(here)
    after = writer.execute("SELECT count(*) FROM deals WHERE stage = 'delivered'").fetchone()[0]
    assert after == count + 1


def test_a_writer_at_work_means_it_is_read_here(team_db: Path, aside_always: None) -> None:
    busy = sqlite3.connect(team_db, isolation_level=None)
    busy.execute("BEGIN IMMEDIATE")
    try:
        with Session(str(team_db), TODAY).reading() as store:
            assert store.backend.aside("history") is None
            history = store.history_aside()
            assert _summary(history()) == _summary(store.history())
    finally:
        busy.rollback()
        busy.close()


def test_one_worker_or_a_small_file_reads_it_here(
    team_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(cores.WORKERS_ENV, "1")
    monkeypatch.setattr(sqlite_file, "ASIDE_MIN_BYTES", 0)
    with Session(str(team_db), TODAY).reading() as store:
        assert store.backend.aside("history") is None
    monkeypatch.setenv(cores.WORKERS_ENV, "2")
    monkeypatch.setattr(sqlite_file, "ASIDE_MIN_BYTES", 1 << 40)
    with Session(str(team_db), TODAY).reading() as store:
        assert store.backend.aside("history") is None


def test_the_other_process_failing_is_read_here(team_db: Path, aside_always: None) -> None:
    with Session(str(team_db), TODAY).reading() as store:
        start = store.backend.aside
        # A job the other process does not know: it fails before its snapshot.
        failing = start("no such job")
        assert failing is not None and failing() is None
        store.backend.aside = lambda job: start("no such job")  # type: ignore[method-assign]
        history = store.history_aside()
        assert _summary(history()) == _summary(store.history())
