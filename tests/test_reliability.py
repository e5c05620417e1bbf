"""pmsync never loses a deal, never shows a traceback, never leaks: tested the hard way."""

from __future__ import annotations

import os
import random
import resource
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import Cli, invariants, new_database, snapshot

ENV = {**os.environ, "PMSYNC_TODAY": "2027-01-04"}
ENV.pop("NO_COLOR", None)


def pmsync(
    db: Path, *args: str, env: dict[str, str] | None = None, **kw
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pmsync", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env={**ENV, **(env or {})},
        timeout=300,
        **kw,
    )


# -- several writers -----------------------------------------------------------------

_WRITER = """
import sys
from typer.testing import CliRunner
from pmsync.cli.app import app
db, who = sys.argv[1], sys.argv[2]
runner = CliRunner()
for i in range(50):
    args = (["deal", "add", f"{who}-{i}", "--client", who, "--stage", "signed", "--pm", "Ann",
             "--hours", "10"],
            ["deal", "update", "1", "--promised", f"+{i % 20 + 1}d"],
            ["deal", "log", "1", "0.5"])[i % 3]
    r = runner.invoke(app, ["--db", db, "--today", "2027-01-04", *args])
    if r.exit_code != 0:
        sys.exit(f"{who} step {i}: {r.stderr}")
"""


def test_eight_processes_writing_at_once_all_succeed(tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    cli = Cli(db)
    cli("pm", "add", "Ann", "--capacity", "40")
    cli(
        "deal",
        "add",
        "Shared",
        "--client",
        "X",
        "--stage",
        "signed",
        "--pm",
        "Ann",
        "--hours",
        "500",
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db), f"w{n}"],
            env=ENV,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(8)
    ]
    errors = [p.communicate(timeout=600)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errors
    adds = len(range(0, 50, 3))
    counts = invariants(db)
    assert counts["deals"] == 1 + 8 * adds
    conn = sqlite3.connect(db)
    logs = len(range(2, 50, 3))
    assert conn.execute("SELECT count(*) FROM worklog").fetchone()[0] == 8 * logs
    assert conn.execute("SELECT count(*) FROM promise_history").fetchone()[0] >= 1


def test_a_lock_held_too_long_is_exit_1_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "locked.db"
    Cli(db)("pm", "add", "Ann", "--capacity", "40")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        run = pmsync(db, "pm", "add", "Ben", "--capacity", "40", env={"PMSYNC_BUSY_TIMEOUT": "0.3"})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 1
    assert run.stderr == ("pmsync: the database is busy (another pmsync is writing); try again\n")
    assert [p["name"] for p in Cli(db)("pm", "list", "--json").json()] == ["Ann"]


# -- killed in the middle of a write -------------------------------------------------


def _big_export(path: Path, rows: int, start: int) -> None:
    lines = ["Record ID,Deal Name,Associated Company,Amount,Deal Stage"]
    lines += [
        f"{start + i},Deal {start + i},Client {i % 50},{1000 + i},Closed Won" for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_a_killed_import_leaves_all_or_nothing(tmp_path: Path) -> None:
    db = new_database(tmp_path / "kill.db")
    wal = Path(f"{db}-wal")
    rng = random.Random(7)
    rows, outcomes, stages = 8000, {"before writing": 0, "while writing": 0, "after": 0}, []
    # Time one whole import first, so the kills land across its run on any machine.
    timing = tmp_path / "timing.csv"
    _big_export(timing, rows, start=10**6)
    started = time.perf_counter()
    assert pmsync(db, "import", "deals", str(timing)).returncode == 0
    whole = time.perf_counter() - started
    expected = invariants(db)["deals"]
    for n in range(8):
        csv_path = tmp_path / f"import-{n}.csv"
        _big_export(csv_path, rows, start=n * rows)
        wal_before = wal.stat().st_mtime_ns if wal.exists() else 0
        proc = subprocess.Popen(
            [sys.executable, "-m", "pmsync", "--db", str(db), "import", "deals", str(csv_path)],
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(0.35, 1.0) * whole
        time.sleep(delay)
        wrote = wal.exists() and wal.stat().st_mtime_ns != wal_before
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deals = invariants(db)["deals"]
        assert deals in (expected, expected + rows), f"a partial import: {deals} deals"
        if deals == expected + rows:
            outcome = "after"
        else:
            outcome = "while writing" if wrote else "before writing"
        outcomes[outcome] += 1
        stages.append(f"kill {n + 1} at {delay:.2f}s: {outcome}")
        expected = deals
    print(f"{sum(outcomes.values())} kills: {outcomes}; " + "; ".join(stages))
    assert outcomes["while writing"] >= 1, f"no kill landed mid-write: {stages}"


_ADDER = """
import sys
from typer.testing import CliRunner
from pmsync.cli.app import app
runner = CliRunner()
for i in range(10_000):
    r = runner.invoke(app, ["--db", sys.argv[1], "--today", "2027-01-04", "deal", "add",
                            f"K{i}", "--client", "C", "--stage", "signed", "--pm", "Ann",
                            "--hours", "8", "--low", "6", "--high", "12"])
    print(i, flush=True)
"""


def test_a_killed_deal_add_never_leaves_a_deal_without_its_estimate(tmp_path: Path) -> None:
    db = tmp_path / "adds.db"
    Cli(db)("pm", "add", "Ann", "--capacity", "40")
    rng = random.Random(11)
    kills = []
    for _ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", _ADDER, str(db)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        time.sleep(rng.uniform(1.0, 2.5))
        proc.send_signal(signal.SIGKILL)
        done = len(proc.communicate()[0].split())
        kills.append(done)
        invariants(db)
        conn = sqlite3.connect(db)
        bare = conn.execute(
            "SELECT count(*) FROM deals WHERE id NOT IN "
            "(SELECT deal_id FROM estimates) OR signing_estimate_id IS NULL"
        ).fetchone()[0]
        conn.close()
        assert bare == 0, "a deal was left without the estimate it was added with"
    print(f"{len(kills)} kills after {kills} completed adds each")
    assert sum(kills) > 0


# -- broken files --------------------------------------------------------------------


def test_a_read_only_database_is_exit_1_and_untouched(tmp_path: Path) -> None:
    import tempfile

    # pytest's own folders are private to their owner; this one must be reachable.
    folder = Path(tempfile.mkdtemp(prefix="pmsync-ro-")) / "ro"
    folder.mkdir()
    folder.parent.chmod(0o755)
    db = folder / "ro.db"
    Cli(db)("pm", "add", "Ann", "--capacity", "40")
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    db.chmod(0o444)
    folder.chmod(0o555)
    before = db.read_bytes()
    try:
        if os.geteuid() == 0:
            # Root writes anywhere: run pmsync as nobody to meet the file as a user would.
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        else:
            cmd = []
        run = subprocess.run(
            [
                *cmd,
                sys.executable,
                "-m",
                "pmsync",
                "--db",
                str(db),
                "pm",
                "add",
                "Ben",
                "--capacity",
                "40",
            ],
            capture_output=True,
            text=True,
            env={**ENV, "HOME": str(tmp_path)},
            timeout=120,
        )
    finally:
        folder.chmod(0o755)
        db.chmod(0o600)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("pmsync: ") and run.stderr.count("\n") == 1, run.stderr
    assert "read-only" in run.stderr or "cannot open" in run.stderr, run.stderr
    assert db.read_bytes() == before


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_full_disk_is_exit_1_and_keeps_the_data(tmp_path: Path) -> None:
    db = tmp_path / "full.db"
    cli = Cli(db)
    cli("pm", "add", "Ann", "--capacity", "40")
    cli("deal", "add", "Kept", "--client", "C")
    sqlite3.connect(db).execute("PRAGMA wal_checkpoint(TRUNCATE)").connection.close()
    csv_path = tmp_path / "big.csv"
    _big_export(csv_path, 20_000, start=1)
    run = subprocess.run(
        [sys.executable, "-m", "pmsync", "--db", str(db), "import", "deals", str(csv_path)],
        capture_output=True,
        text=True,
        env=ENV,
        preexec_fn=_limit_file_size(256 * 1024),
        timeout=300,
    )
    assert run.returncode == 1, run.stderr
    assert "full" in run.stderr and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.count("\n") == 1
    assert [d["title"] for d in cli("deal", "list", "--json").json()] == ["Kept"]
    assert invariants(db)["deals"] == 1


# -- operations ----------------------------------------------------------------------


def test_db_path_check_backup_restore(team: Cli, tmp_path: Path) -> None:
    assert team("db", "path").out.strip() == str(team.db)
    report = team("db", "check", "--json").json()
    assert report["ok"] is True and report["counts"]["deals"] == 3
    backup = tmp_path / "backup.db"
    team("db", "backup", str(backup))
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "exists" in team.fails("db", "backup", str(backup)).err
    team("deal", "add", "After the backup", "--client", "X")
    refused = team.fails("db", "restore", str(backup))
    assert "holds records; give --force" in refused.err
    assert [d["id"] for d in team("deal", "list", "--json").json()] == [1, 2, 3, 4]
    done = team("db", "restore", str(backup), "--force")
    assert [d["id"] for d in team("deal", "list", "--json").json()] == [1, 2, 3]
    # The records it replaced are kept beside the database, and named.
    kept = Path(done.out.split("The records it replaced are in ")[1].strip().rstrip("."))
    assert kept.parent == team.db.parent and kept.name.startswith("pmsync.replaced-")
    titles = [d["title"] for d in Cli(kept)("deal", "list", "--json").json()]
    assert "After the backup" in titles
    assert team("db", "check").out.rstrip().endswith("OK")


def test_restore_refuses_what_is_not_a_pmsync_database(team: Cli, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    assert "not a pmsync database" in team.fails("db", "restore", str(other)).err
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert "not an SQLite file" in team.fails("db", "restore", str(text)).err
    assert "not a file" in team.fails("db", "restore", str(tmp_path / "nope.db")).err


def test_db_check_finds_broken_foreign_keys(team: Cli) -> None:
    conn = sqlite3.connect(team.db)
    conn.execute("INSERT INTO estimates (deal_id, hours, created) VALUES (99, 5, 'x')")
    conn.commit()
    conn.close()
    run = team("db", "check", ok=False)
    assert run.code == 1 and "PROBLEMS FOUND" in run.out and "estimates row" in run.out


def test_backup_is_consistent_while_someone_writes(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    Cli(db)("pm", "add", "Ann", "--capacity", "40")
    writer = subprocess.Popen(
        [sys.executable, "-c", _ADDER, str(db)],
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(1.0)
        for n in range(3):
            target = tmp_path / f"copy-{n}.db"
            run = pmsync(db, "db", "backup", str(target))
            assert run.returncode == 0, run.stderr
            counts = invariants(target)
            assert counts["deals"] == counts["estimates"]
    finally:
        writer.kill()
        writer.wait()


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_database_files_are_private(cli: Cli, suffix: str) -> None:
    cli("pm", "add", "Ann", "--capacity", "40")
    conn = sqlite3.connect(cli.db)  # keep the -wal and -shm alive while we look
    conn.execute("SELECT 1 FROM pms").fetchall()
    try:
        path = Path(f"{cli.db}{suffix}")
        if path.exists():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, oct(path.stat().st_mode)
    finally:
        conn.close()


def test_refused_writes_leave_no_trace_on_disk(team: Cli) -> None:
    before = snapshot(team.db)
    team.fails("deal", "add", "X", "--client", "C", "--pm", "Ghost")
    assert snapshot(team.db) == before
