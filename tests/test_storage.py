"""The database file: creation, migrations, refusal of foreign files, concurrent writers."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmsync.cli.app import app
from pmsync.core.lifecycle import Stage
from pmsync.errors import Conflict, StorageError
from pmsync.service import deals
from pmsync.service.session import Session
from pmsync.storage import schema
from pmsync.storage.batch import Batch
from pmsync.storage.connection import connect, resolve_path
from pmsync.storage.sqlite_file import SqliteFile
from pmsync.storage.store import Store

from .conftest import Cli


def test_a_new_file_gets_the_schema_private_permissions_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "p.db"
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    conn.execute("INSERT INTO settings VALUES ('seed', '1')")  # autocommit write: makes -wal
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for extra in ("-wal", "-shm"):
        side = Path(f"{path}{extra}")
        if side.exists():
            assert stat.S_IMODE(side.stat().st_mode) & 0o077 == 0
    conn.close()


def test_location_is_flag_then_environment_then_user_data_dir(monkeypatch) -> None:
    # PMSYNC_DB is read once, by the CLI's --db option; storage is given what it names.
    runner = CliRunner()
    monkeypatch.setenv("PMSYNC_DB", "/tmp/from-env.db")
    assert runner.invoke(app, ["db", "path"]).output.strip() == "/tmp/from-env.db"
    flag = runner.invoke(app, ["--db", "/tmp/flag.db", "db", "path"]).output.strip()
    assert flag == "/tmp/flag.db"
    monkeypatch.delenv("PMSYNC_DB")
    assert runner.invoke(app, ["db", "path"]).output.strip() == str(resolve_path(None))
    assert resolve_path("/tmp/flag.db") == Path("/tmp/flag.db")
    assert resolve_path(None).name == "pmsync.db" and "pmsync" in str(resolve_path(None).parent)


def _version_one_file(path: Path) -> None:
    """A database exactly as the first released schema left it, with data in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    schema.migrate(conn, upto=1)
    conn.execute("COMMIT")
    conn.execute(
        "INSERT INTO pms (name, capacity, workdays, created) "
        "VALUES ('Ann', 40, 'mon-fri', '2026-01-01T09:00:00')"
    )
    conn.execute(
        "INSERT INTO deals (title, client, stage, pm_id, promised, created) "
        "VALUES ('Old deal', 'Acme', 'signed', 1, '2027-02-01', '2026-01-01T09:00:00')"
    )
    conn.execute("INSERT INTO estimates (deal_id, hours, created) VALUES (1, 40, '2026-01-01')")
    conn.close()


def test_an_older_file_is_migrated_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    _version_one_file(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    cli = Cli(path)
    run = cli("deal", "show", "1", "--json").json()
    assert (run["title"], run["pm"], run["estimate_hours"]) == ("Old deal", "Ann", 40)
    assert cli("config", "set", "at_risk_buffer", "5").code == 0  # a table migration 2 adds
    assert cli("config", "get", "at_risk_buffer", "--json").json() == {"at_risk_buffer": 5}
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION


def test_a_failing_migration_leaves_the_old_file_as_it_was(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    _version_one_file(path)
    before = path.read_bytes()

    # The second statement fails: the first must not stay behind.
    broken = ("CREATE TABLE half_done (x)", "CREATE TABLE half_done (x)")
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.m001_initial, broken))
    monkeypatch.setattr(
        "pmsync.storage.connection.migrate", lambda conn: schema.migrate(conn, upto=2)
    )
    with pytest.raises(StorageError):
        connect(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name='half_done'").fetchone()[0] == 0
    )
    assert conn.execute("SELECT title FROM deals").fetchall() == [("Old deal",)]
    assert len(before) > 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("name,client\nx,y\n"), "not an SQLite file"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE photos (id)").connection.commit(),
            "another program",
        ),
    ],
)
def test_foreign_files_are_refused_and_left_untouched(tmp_path: Path, make, message) -> None:
    path = tmp_path / "other.db"
    make(path)
    before = path.read_bytes()
    run = Cli(path).fails("pm", "list", code=1)
    assert message in run.err
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_file_from_a_newer_pmsync_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    connect(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    run = Cli(path).fails("deal", "list", code=1)
    assert "newer pmsync" in run.err
    assert path.read_bytes() == before


def test_a_refused_write_rolls_back_everything_it_did(tmp_path: Path) -> None:
    """A batch whose precondition no longer holds lands nothing, not even its earlier steps."""
    store = Store(SqliteFile(tmp_path / "t.db"))
    batch = Batch("2027-01-04T09:00:00")
    batch.set_setting("seed", 3)
    batch.deal_stage_is(1, "signed")  # there is no deal 1: the precondition fails
    with pytest.raises(Conflict):
        store.apply(batch.steps)
    assert store.settings().seed != 3
    ok = Batch("2027-01-04T09:00:00")
    ok.set_setting("seed", 3)
    store.apply(ok.steps)
    assert store.settings().seed == 3
    store.close()


def test_a_batch_built_on_a_stale_read_is_refused(tmp_path: Path) -> None:
    """Two writers decide from the same read; the second finds the stage moved and writes
    nothing (its precondition restates what it read)."""
    session = Session(str(tmp_path / "t.db"), date(2027, 1, 4))
    deal = deals.add(session, {"title": "T", "client": "C", "stage": "signed"}, None)
    first, second = session.batch(), session.batch()
    for b in (first, second):
        b.deal_stage_is(deal.id, "signed")
        b.set_stage(deal.id, Stage.ACTIVE)
        b.lose(deal.id, "second writer") if b is second else None
    with session.store() as store:
        store.apply(first.steps)
        with pytest.raises(Conflict):
            store.apply(second.steps)
        assert store.deal(deal.id).stage == "active"
        assert store.deal(deal.id).lost_reason is None


_WRITER = """
import sys
from typer.testing import CliRunner
from pmsync.cli.app import app
db, who, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
runner = CliRunner()
for i in range(n):
    for args in (["deal", "add", f"{who} {i}", "--client", who, "--stage", "signed",
                  "--pm", "Ann", "--hours", "10"],
                 ["deal", "log", str(1), "1"],
                 ["deal", "update", "1", "--promised", f"+{i + 1}d"]):
        r = runner.invoke(app, ["--db", db, "--today", "2027-01-04", *args])
        if r.exit_code != 0:
            print(r.stderr, file=sys.stderr)
            sys.exit(1)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    cli = Cli(db)
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "Seed", "--client", "X", "--stage", "signed", "--pm", "Ann", "--hours", "5")
    n = 25
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db), who, str(n)], stderr=subprocess.PIPE, text=True
        )
        for who in ("p1", "p2")
    ]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    assert not any("locked" in e for e in errors)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT count(*) FROM deals").fetchone()[0] == 1 + 2 * n
    assert conn.execute("SELECT count(*) FROM worklog").fetchone()[0] == 2 * n
    assert conn.execute("SELECT count(*) FROM promise_history").fetchone()[0] >= 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_each_install_of_holidays_keeps_its_own_holiday_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two installs on one machine must not throw each other's cached holidays away."""
    from pmsync.core import calendar
    from pmsync.storage import holiday_cache

    monkeypatch.setenv("PMSYNC_CACHE_DIR", str(tmp_path))
    paths = {}
    for install in ("venv-a", "venv-b"):
        monkeypatch.setattr(holiday_cache, "_stamp", lambda install=install: install)
        monkeypatch.setattr(calendar, "NEW_HOLIDAYS", {("US", None, 2027)})
        monkeypatch.setattr(calendar, "KNOWN_HOLIDAYS", {})
        monkeypatch.setattr(calendar, "CACHED_HOLIDAYS", {("US", None, 2027): [install]})
        holiday_cache.save()
        paths[install] = holiday_cache._path()
    assert paths["venv-a"] != paths["venv-b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths.values())
    for install, path in paths.items():
        assert json.loads(path.read_text())["stamp"] == install
