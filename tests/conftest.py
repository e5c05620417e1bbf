"""Shared fixtures: a temp database, a fixed today, and a runner that reports like a shell."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pmsync.cli.app import app

TODAY = "2027-01-04"  # a Monday


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


class Cli:
    """Runs pmsync in-process against one database with `today` fixed."""

    def __init__(self, db: Path | str, today: str = TODAY) -> None:
        self.db = db
        self.today = today
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool = True) -> Run:
        result = self.runner.invoke(
            app, ["--db", str(self.db), "--today", self.today, *args], catch_exceptions=False
        )
        run = Run(result.exit_code, result.stdout, result.stderr)
        if ok and run.code not in (0, 3, 4):
            raise AssertionError(f"pmsync {' '.join(args)} failed ({run.code}): {run.err}")
        return run

    def fails(self, *args: str, code: int = 2) -> Run:
        """Run a command that must be refused: exit code, one line on stderr, no traceback."""
        before = snapshot(self.db)
        run = self(*args, ok=False)
        assert run.code == code, (run.code, run.out, run.err)
        assert run.err.startswith("pmsync: "), run.err
        assert run.err.count("\n") == 1, run.err
        assert "Traceback" not in run.err + run.out
        assert snapshot(self.db) == before, "a refused command changed the database"
        return run


def snapshot(db: Path | str) -> list[str]:
    """Every row of the database, to prove that a refused command wrote nothing."""
    if isinstance(db, str):
        return cluster_snapshot(db)
    if not db.exists():
        return []
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    except sqlite3.DatabaseError:
        return [db.read_bytes().hex()]
    finally:
        conn.close()


def cluster_snapshot(url: str) -> list[str]:
    """Every row of every table on a cluster, as its leader has them."""
    from pmsync.storage.rqlite_cluster import RqliteCluster

    backend = RqliteCluster(url)
    try:
        names = [r[0] for r in backend.query("SELECT name FROM sqlite_master WHERE type='table'")]
        found = []
        for name in sorted(names):
            rows = backend.query(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall()
            found += [f"{name}: {row!r}" for row in rows]
        return found
    finally:
        backend.close()


def invariants(db: Path) -> dict[str, int]:
    """pmsync's own rules, beyond SQLite's: every estimate, worklog entry, term and update
    belongs to a deal; every signed deal that had an estimate points at it."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in ("estimates", "worklog", "terms", "updates"):
            orphans = conn.execute(
                f"SELECT count(*) FROM {table} WHERE deal_id NOT IN (SELECT id FROM deals)"
            ).fetchone()[0]
            assert orphans == 0, f"{orphans} {table} without their deal"
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("deals", "estimates", "terms")
        }
    finally:
        conn.close()


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the holiday cache of test runs out of the user's cache folder."""
    import os

    os.environ["PMSYNC_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


def new_database(path: Path) -> Path:
    """An empty pmsync database, as the first write leaves it (reads never make one)."""
    from pmsync.storage.sqlite_file import SqliteFile

    SqliteFile(path).close()
    return path


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(new_database(tmp_path / "pmsync.db"))


@pytest.fixture
def team(cli: Cli) -> Cli:
    """Two PMs and three deals, hand-sized so forecasts can be checked by hand.

    Ann: 40 h/week Mon-Fri (8 h/day), US holidays. Ben: 37.5 h over Mon-Thu (9.375 h/day).
    Deal 1 (Ann): 40 h promised 15 Jan -> Jan 4-8. Deal 2 (Ann): 80 h promised 29 Jan ->
    Jan 11-15, (18 Jan is MLK day) 19-22, 25 -> finish 25 Jan.
    """
    cli("pm", "add", "Ann", "--capacity", "40", "--holidays", "US", "--email", "ann@example.com")
    cli("pm", "add", "Ben", "--capacity", "37.5", "--workdays", "mon-thu")
    cli(
        "deal",
        "add",
        "Website relaunch",
        "--client",
        "Acme",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "40",
        "--promised",
        "2027-01-15",
        "--seller",
        "Sam",
    )
    cli(
        "deal",
        "add",
        "CRM migration",
        "--client",
        "Globex",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "80",
        "--promised",
        "2027-01-29",
        "--seller",
        "Priya",
    )
    cli(
        "deal",
        "add",
        "Training",
        "--client",
        "Initech",
        "--pm",
        "Ben",
        "--hours",
        "20",
        "--probability",
        "40",
    )
    return cli
